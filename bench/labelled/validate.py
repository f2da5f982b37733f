"""Validate the hand-labelled evaluation set in this directory and print its figures.

Run:  PYTHONPATH=libs/contracts/src uv run python bench/labelled/validate.py
Exits with status 1 if any check fails.
"""

from __future__ import annotations

import json
import sys
from collections import Counter, defaultdict
from pathlib import Path
from typing import get_args

from marketplace_contracts.events import Maturity, Phase
from marketplace_contracts.process import PRACTICE_TAGS
from marketplace_contracts.reference import all_codes, all_counties, all_municipalities

HERE = Path(__file__).resolve().parent
MIN_SOLUTIONS = 400
MIN_NEEDS = 120
MIN_CROSS_SHARE = 0.20
HOLDOUT_RANGE = (0.25, 0.35)


def load(name: str) -> list[dict]:
    rows = []
    with open(HERE / name, encoding="utf-8") as fh:
        for i, raw in enumerate(fh, 1):
            line = raw.strip()
            if line:
                try:
                    rows.append(json.loads(line))
                except json.JSONDecodeError as exc:
                    sys.exit(f"{name}:{i}: invalid JSON ({exc})")
    return rows


def main() -> int:
    errors: list[str] = []
    solutions = load("solutions.jsonl")
    needs = load("needs.jsonl")
    judgments = load("judgments.jsonl")

    cpv = {c.code if hasattr(c, "code") else str(c) for c in all_codes()}
    munis = {m.code for m in all_municipalities()}
    counties = {c.code for c in all_counties()}
    maturities = set(get_args(Maturity))
    phases = set(get_args(Phase))
    tags = set(PRACTICE_TAGS)

    sol_fields = {
        "id",
        "supplier",
        "name",
        "description",
        "language",
        "cpv_codes",
        "regions",
        "maturity",
        "tags",
    }
    need_fields = {
        "id",
        "buyer",
        "title",
        "problem",
        "language",
        "cpv_codes",
        "municipality_code",
        "phase",
        "tags",
        "split",
    }

    def check_common(kind: str, row: dict) -> None:
        rid = row.get("id")
        if row.get("language") not in ("sv", "en"):
            errors.append(f"{kind} {rid}: language {row.get('language')!r}")
        codes = row.get("cpv_codes") or []
        if not 1 <= len(codes) <= 3:
            errors.append(f"{kind} {rid}: {len(codes)} CPV codes (want 1-3)")
        for code in codes:
            if not (isinstance(code, str) and len(code) == 8 and code.isdigit()):
                errors.append(f"{kind} {rid}: malformed CPV {code!r}")
            elif code not in cpv:
                errors.append(f"{kind} {rid}: unknown CPV {code}")
        for tag in row.get("tags") or []:
            if tag not in tags:
                errors.append(f"{kind} {rid}: unknown tag {tag!r}")

    sol_ids: Counter[str] = Counter(s.get("id") for s in solutions)
    need_ids: Counter[str] = Counter(n.get("id") for n in needs)
    errors += [f"duplicate solution id {i}" for i, c in sol_ids.items() if c > 1]
    errors += [f"duplicate need id {i}" for i, c in need_ids.items() if c > 1]

    for s in solutions:
        if set(s) != sol_fields:
            errors.append(f"solution {s.get('id')}: fields {sorted(set(s) ^ sol_fields)}")
        check_common("solution", s)
        if s.get("maturity") not in maturities:
            errors.append(f"solution {s['id']}: maturity {s.get('maturity')!r}")
        regions = s.get("regions") or []
        if not regions:
            errors.append(f"solution {s['id']}: no regions")
        for r in regions:
            if r != "SE" and r not in counties:
                errors.append(f"solution {s['id']}: region {r!r} is neither SE nor a county")
        for f in ("supplier", "name", "description"):
            if not str(s.get(f, "")).strip():
                errors.append(f"solution {s['id']}: empty {f}")

    for n in needs:
        if set(n) != need_fields:
            errors.append(f"need {n.get('id')}: fields {sorted(set(n) ^ need_fields)}")
        check_common("need", n)
        if n.get("municipality_code") not in munis:
            errors.append(f"need {n['id']}: unknown municipality {n.get('municipality_code')!r}")
        if n.get("phase") not in phases:
            errors.append(f"need {n['id']}: phase {n.get('phase')!r}")
        if n.get("split") not in ("tune", "holdout"):
            errors.append(f"need {n['id']}: split {n.get('split')!r}")
        for f in ("buyer", "title", "problem"):
            if not str(n.get(f, "")).strip():
                errors.append(f"need {n['id']}: empty {f}")

    sol_by_id = {s["id"]: s for s in solutions}
    need_by_id = {n["id"]: n for n in needs}
    pairs: Counter[tuple[str, str]] = Counter()
    grades_per_need: dict[str, Counter[int]] = defaultdict(Counter)
    for j in judgments:
        if j.get("need") not in need_by_id:
            errors.append(f"judgment references unknown need {j.get('need')!r}")
            continue
        if j.get("solution") not in sol_by_id:
            errors.append(f"judgment references unknown solution {j.get('solution')!r}")
            continue
        if j.get("grade") not in (0, 1, 2):
            errors.append(f"judgment {j['need']}/{j['solution']}: grade {j.get('grade')!r}")
        if not str(j.get("rationale", "")).strip():
            errors.append(f"judgment {j['need']}/{j['solution']}: empty rationale")
        pairs[(j["need"], j["solution"])] += 1
        grades_per_need[j["need"]][j["grade"]] += 1
    errors += [f"duplicate judgment {p}" for p, c in pairs.items() if c > 1]
    for n in needs:
        if grades_per_need[n["id"]][2] < 1:
            errors.append(f"need {n['id']}: no grade-2 solution")

    if len(solutions) < MIN_SOLUTIONS:
        errors.append(f"only {len(solutions)} solutions (min {MIN_SOLUTIONS})")
    if len(needs) < MIN_NEEDS:
        errors.append(f"only {len(needs)} needs (min {MIN_NEEDS})")

    positives = [
        j
        for j in judgments
        if j.get("grade", 0) >= 1 and j.get("need") in need_by_id and j.get("solution") in sol_by_id
    ]
    cross = [
        j
        for j in positives
        if need_by_id[j["need"]]["language"] != sol_by_id[j["solution"]]["language"]
    ]
    cross_share = len(cross) / len(positives) if positives else 0.0
    if cross_share < MIN_CROSS_SHARE:
        errors.append(f"cross-language share {cross_share:.3f} < {MIN_CROSS_SHARE}")
    holdout = [n for n in needs if n.get("split") == "holdout"]
    holdout_share = len(holdout) / len(needs) if needs else 0.0
    if not HOLDOUT_RANGE[0] <= holdout_share <= HOLDOUT_RANGE[1]:
        errors.append(f"holdout share {holdout_share:.3f} outside {HOLDOUT_RANGE}")

    grade_counts = Counter(j.get("grade") for j in judgments)
    lang_s = Counter(s.get("language") for s in solutions)
    lang_n = Counter(n.get("language") for n in needs)
    lang_h = Counter(n.get("language") for n in holdout)
    phase_n = Counter(n.get("phase") for n in needs)
    mat_s = Counter(s.get("maturity") for s in solutions)
    cross_by_split = Counter(need_by_id[j["need"]]["split"] for j in cross)
    pos_by_split = Counter(need_by_id[j["need"]]["split"] for j in positives)
    per_need_pos = [grades_per_need[n["id"]][1] + grades_per_need[n["id"]][2] for n in needs]
    judged_solutions = {j["solution"] for j in positives}

    print(
        f"solutions:  {len(solutions)}  (sv {lang_s['sv']}, en {lang_s['en']}; "
        f"en share {lang_s['en'] / len(solutions):.2f})"
    )
    print(
        f"needs:      {len(needs)}  (sv {lang_n['sv']}, en {lang_n['en']}; "
        f"en share {lang_n['en'] / len(needs):.2f})"
    )
    print(
        f"judgments:  {len(judgments)}  (grade 2: {grade_counts[2]}, grade 1: "
        f"{grade_counts[1]}, grade 0: {grade_counts[0]})"
    )
    print(
        f"grade>=1 pairs: {len(positives)}; cross-language: {len(cross)} "
        f"(share {cross_share:.3f}; tune {cross_by_split['tune']}/{pos_by_split['tune']}, "
        f"holdout {cross_by_split['holdout']}/{pos_by_split['holdout']})"
    )
    print(
        f"relevant (grade>=1) per need: min {min(per_need_pos)}, max {max(per_need_pos)}, "
        f"mean {sum(per_need_pos) / len(needs):.2f}"
    )
    print(f"solutions relevant to at least one need: {len(judged_solutions)} of {len(solutions)}")
    print(
        f"split: tune {len(needs) - len(holdout)}, holdout {len(holdout)} "
        f"(holdout share {holdout_share:.3f}; holdout sv {lang_h['sv']}, en {lang_h['en']})"
    )
    print("need phases: " + ", ".join(f"{k} {v}" for k, v in sorted(phase_n.items())))
    print("solution maturities: " + ", ".join(f"{k} {v}" for k, v in sorted(mat_s.items())))
    if errors:
        print(f"\nFAILED: {len(errors)} problem(s)")
        for e in errors[:200]:
            print("  - " + e)
        return 1
    print("\nOK: all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
