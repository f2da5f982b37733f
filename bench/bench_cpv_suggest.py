"""CPV suggestion quality: does a right group come among the top five suggestions?

    python -m bench.bench_cpv_suggest [--json bench/results/cpv_suggest.json] [--verbose]

For each labelled problem description (tests/reference/cpv_suggest_labelled.py), a hit is
when the group (first three digits) of one of its right codes is among the groups of the
first five suggestions. Reported for our suggester (needs.domain.vocabulary.suggest) and,
in the same run, for a baseline of plain label-word overlap: the number of lowercase words
a code's Swedish or English label shares with the text (stopwords left out, no stemming,
no compounds), ties to the shorter label, then the code. Figures are given for the tuning
set (the first 40), the held-out set (the last 20, never used for tuning) and all.
Also the median time of one suggest call, warm.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from marketplace_contracts.reference.cpv import all_codes
from marketplace_contracts.text import STOPWORDS
from needs.domain.vocabulary import index, suggest
from tests.reference.cpv_suggest_labelled import HELD_OUT, TUNING, Labelled

TOP = 5
RESULTS = Path(__file__).resolve().parent / "results"
_WORD = re.compile(r"[^\W_]+")

Suggester = Callable[[Labelled], list[str]]


def ours(item: Labelled) -> list[str]:
    return [s.code for s in suggest(item.title, item.problem, item.language, limit=TOP)]


def _words(text: str) -> set[str]:
    return {w for w in _WORD.findall(text.lower()) if w not in STOPWORDS}


_LABEL_WORDS = [(c.code, _words(f"{c.label_sv} {c.label_en}")) for c in all_codes()]


def baseline(item: Labelled) -> list[str]:
    text = _words(f"{item.title} {item.problem}")
    scored = [(len(text & words), -len(words), code) for code, words in _LABEL_WORDS]
    best = sorted((s for s in scored if s[0] > 0), key=lambda s: (-s[0], -s[1], s[2]))
    return [code for _, _, code in best[:TOP]]


def hit(item: Labelled, codes: Sequence[str]) -> bool:
    return bool({c[:3] for c in codes} & {c[:3] for c in item.codes})


def share(items: Sequence[Labelled], suggester: Suggester) -> float:
    return round(sum(hit(i, suggester(i)) for i in items) / len(items), 3) if items else 0.0


def median_ms(items: Sequence[Labelled], rounds: int = 5) -> float:
    samples = []
    for _ in range(rounds):
        for item in items:
            t = time.perf_counter()
            ours(item)
            samples.append((time.perf_counter() - t) * 1000)
    return round(statistics.median(samples), 2)


def run(verbose: bool = False) -> dict[str, Any]:
    t = time.perf_counter()
    index()
    build_ms = round((time.perf_counter() - t) * 1000)
    sets = {"tuning (first 40)": TUNING, "held-out (last 20)": HELD_OUT, "all": TUNING + HELD_OUT}
    rows = [
        {
            "set": name,
            "n": len(items),
            "ours": share(items, ours),
            "baseline": share(items, baseline),
        }
        for name, items in sets.items()
    ]
    if verbose:
        for item in TUNING + HELD_OUT:
            codes = ours(item)
            mark = "ok  " if hit(item, codes) else "MISS"
            print(f"{mark} {item.language} {item.title[:40]:40} {codes} want {item.codes}")
    return {
        "metric": f"share of descriptions with a right group among the top-{TOP} groups",
        "rows": rows,
        "index_build_ms": build_ms,
        "suggest_median_ms": median_ms(TUNING + HELD_OUT),
    }


def table(result: dict[str, Any]) -> str:
    lines = [f"{'set':20} {'n':>3} {'ours':>6} {'baseline':>9}"]
    for r in result["rows"]:
        lines.append(f"{r['set']:20} {r['n']:>3} {r['ours']:>6.3f} {r['baseline']:>9.3f}")
    lines.append(
        f"index build {result['index_build_ms']} ms, "
        f"suggest median {result['suggest_median_ms']} ms per call"
    )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--json", default=str(RESULTS / "cpv_suggest.json"))
    ap.add_argument("--verbose", action="store_true", help="one line per description")
    args = ap.parse_args(argv)
    result = run(args.verbose)
    print(table(result))
    out = Path(args.json)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
