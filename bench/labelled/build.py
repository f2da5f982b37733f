"""Assemble the hand-written source files in src/*.txt into the JSONL files.

The text in src/ was written by hand, item by item; this script only parses it, numbers the
items (in a fixed shuffled order, so that ids carry no hint of topic) and writes
solutions.jsonl, needs.jsonl and judgments.jsonl.

Source format (blocks separated by blank lines, '#' starts a comment line):

    S <key> | <lang> | <supplier> | <product name> | <cpv,cpv> | <regions> | <maturity> | <tags>
    <description, one or more lines>

    N <key> | <lang> | <buyer slug> | <municipality code> | <phase> | <cpv,cpv> | <tags> | <split>
    T <title>
    P <problem, one or more lines>
    J <solution key> <grade> <rationale>

Run:  PYTHONPATH=libs/contracts/src uv run python bench/labelled/build.py
"""

from __future__ import annotations

import json
import random
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def _split_list(field: str) -> list[str]:
    return [x.strip() for x in field.split(",") if x.strip()]


def parse(paths: list[Path]) -> tuple[list[dict], list[dict], list[tuple[str, str, int, str]]]:
    solutions: list[dict] = []
    needs: list[dict] = []
    judgments: list[tuple[str, str, int, str]] = []
    for path in paths:
        blocks: list[list[str]] = [[]]
        for raw in path.read_text(encoding="utf-8").splitlines():
            line = raw.rstrip()
            if line.startswith("#"):
                continue
            if not line.strip():
                if blocks[-1]:
                    blocks.append([])
                continue
            blocks[-1].append(line.strip())
        for block in blocks:
            if not block:
                continue
            head = block[0]
            where = f"{path.name}: {head[:60]}"
            if head.startswith("S "):
                f = [x.strip() for x in head[2:].split("|")]
                if len(f) != 8:
                    sys.exit(f"bad S header ({len(f)} fields) in {where}")
                key, lang, supplier, name, cpv, regions, maturity, tags = f
                solutions.append(
                    {
                        "key": key,
                        "supplier": supplier,
                        "name": name,
                        "description": " ".join(block[1:]),
                        "language": lang,
                        "cpv_codes": _split_list(cpv),
                        "regions": _split_list(regions),
                        "maturity": maturity,
                        "tags": _split_list(tags),
                    }
                )
            elif head.startswith("N "):
                f = [x.strip() for x in head[2:].split("|")]
                if len(f) != 8:
                    sys.exit(f"bad N header ({len(f)} fields) in {where}")
                key, lang, buyer, muni, phase, cpv, tags, split = f
                title, problem, mode = "", [], ""
                for line in block[1:]:
                    if line.startswith("T "):
                        title, mode = line[2:].strip(), "T"
                    elif line.startswith("P "):
                        problem.append(line[2:].strip())
                        mode = "P"
                    elif line.startswith("J "):
                        parts = line[2:].split(None, 2)
                        if len(parts) < 3:
                            sys.exit(f"bad J line {line!r} in {where}")
                        judgments.append((key, parts[0], int(parts[1]), parts[2].strip()))
                        mode = "J"
                    elif mode == "P":
                        problem.append(line)
                    else:
                        sys.exit(f"unexpected line {line!r} in {where}")
                needs.append(
                    {
                        "key": key,
                        "buyer": buyer,
                        "title": title,
                        "problem": " ".join(problem),
                        "language": lang,
                        "cpv_codes": _split_list(cpv),
                        "municipality_code": muni,
                        "phase": phase,
                        "tags": _split_list(tags),
                        "split": split,
                    }
                )
            else:
                sys.exit(f"unknown block in {where}")
    return solutions, needs, judgments


def main() -> None:
    solutions, needs, judgments = parse(sorted((HERE / "src").glob("*.txt")))
    rng = random.Random(20240611)
    order_s = list(range(len(solutions)))
    order_n = list(range(len(needs)))
    rng.shuffle(order_s)
    rng.shuffle(order_n)
    sid: dict[str, str] = {}
    nid: dict[str, str] = {}
    for new, old in enumerate(order_s, 1):
        k = solutions[old]["key"]
        if k in sid:
            sys.exit(f"duplicate solution key {k}")
        sid[k] = f"s{new:04d}"
    for new, old in enumerate(order_n, 1):
        k = needs[old]["key"]
        if k in nid:
            sys.exit(f"duplicate need key {k}")
        nid[k] = f"n{new:03d}"
    missing = sorted({s for _, s, _, _ in judgments if s not in sid})
    if missing:
        sys.exit(f"judgments reference unknown solution keys: {missing}")

    def dump(name: str, rows: list[dict]) -> None:
        with open(HERE / name, "w", encoding="utf-8") as fh:
            for row in rows:
                fh.write(json.dumps(row, ensure_ascii=False) + "\n")

    sol_rows = []
    for s in sorted(solutions, key=lambda s: sid[s["key"]]):
        row = {"id": sid[s["key"]]}
        row.update({k: v for k, v in s.items() if k != "key"})
        sol_rows.append(row)
    need_rows = []
    for n in sorted(needs, key=lambda n: nid[n["key"]]):
        row = {"id": nid[n["key"]]}
        row.update({k: v for k, v in n.items() if k != "key"})
        need_rows.append(row)
    judg_rows = [
        {"need": nid[n], "solution": sid[s], "grade": g, "rationale": r}
        for n, s, g, r in sorted(judgments, key=lambda j: (nid[j[0]], sid[j[1]]))
    ]
    dump("solutions.jsonl", sol_rows)
    dump("needs.jsonl", need_rows)
    dump("judgments.jsonl", judg_rows)
    print(f"wrote {len(sol_rows)} solutions, {len(need_rows)} needs, {len(judg_rows)} judgments")


if __name__ == "__main__":
    main()
