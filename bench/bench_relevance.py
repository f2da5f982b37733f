"""Ranking quality on the hand-labelled set in `bench/labelled/` (issue #17), beside two
baselines measured in the same run.

    python -m bench.bench_relevance --json bench/results/relevance.json

Systems, each ranking all 410 solutions for each of the 130 needs:

* `matching`: the matching service's `SolutionIndex.rank`, what a buyer is shown (top 10
  above the default threshold); solutions below the threshold count as not retrieved;
* `bm25s`: text only, bm25s with its Swedish stemmer and Swedish and English stopwords,
  need title and problem against solution name and description;
* `cpv`: CPV only, solutions ordered by the deepest CPV level they share with the need,
  ties by id (what a CPV-code alert service shows).

Figures, averaged over needs (grades: 2 primary, 1 relevant, 0 or unjudged not relevant):

* recall@5: relevant solutions (grade >= 1) in the top 5, over min(relevant, 5);
* MRR: 1 / rank of the first relevant solution (0 when none is in the top 10);
* nDCG@10: gains 2^grade - 1, over the ideal ordering of the need's judgments;
* cross-language recall@5: the same recall, over the relevant pairs whose need and
  solution are written in different languages (the hard cases).

The `holdout` needs were kept out of every tuning decision; they are reported apart from
the `tune` needs, and `all` covers both.
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.common import RESULTS, machine, machine_line

LABELLED = Path(__file__).resolve().parent / "labelled"
DEPTH = 10
RECALL_AT = 5
TARGETS = {"recall@5": 0.95, "mrr": 0.97}
SPLITS = ("tune", "holdout", "all")


@dataclass(frozen=True)
class LabelledSet:
    needs: list[dict[str, Any]]
    solutions: list[dict[str, Any]]
    grades: dict[str, dict[str, int]]  # need id -> solution id -> grade
    languages: dict[str, str]  # solution id -> its language


def _jsonl(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def load(directory: Path = LABELLED) -> LabelledSet:
    grades: dict[str, dict[str, int]] = defaultdict(dict)
    for j in _jsonl(directory / "judgments.jsonl"):
        grades[j["need"]][j["solution"]] = int(j["grade"])
    solutions = _jsonl(directory / "solutions.jsonl")
    return LabelledSet(
        needs=_jsonl(directory / "needs.jsonl"),
        solutions=solutions,
        grades=dict(grades),
        languages={s["id"]: s["language"] for s in solutions},
    )


# --- figures -----------------------------------------------------------------------------


def recall_at(ranked: Sequence[str], relevant: Iterable[str], k: int = RECALL_AT) -> float | None:
    wanted = set(relevant)
    if not wanted:
        return None
    return len(wanted & set(ranked[:k])) / min(len(wanted), k)


def reciprocal_rank(ranked: Sequence[str], relevant: Iterable[str], depth: int = DEPTH) -> float:
    wanted = set(relevant)
    for position, solution_id in enumerate(ranked[:depth], 1):
        if solution_id in wanted:
            return 1.0 / position
    return 0.0


def ndcg_at(ranked: Sequence[str], grades: dict[str, int], depth: int = DEPTH) -> float:
    def dcg(gains: Iterable[int]) -> float:
        return sum((2**g - 1) / math.log2(i + 2) for i, g in enumerate(gains))

    ideal = dcg(sorted(grades.values(), reverse=True)[:depth])
    if ideal == 0:
        return 0.0
    return dcg(grades.get(s, 0) for s in ranked[:depth]) / ideal


def figures(data: LabelledSet, rankings: dict[str, list[str]], split: str) -> dict[str, Any]:
    """The averages over the needs of one split, from each need's ranked solution ids."""
    recalls: list[float] = []
    rrs: list[float] = []
    ndcgs: list[float] = []
    cross_found = cross_total = 0
    for need in data.needs:
        if split != "all" and need["split"] != split:
            continue
        grades = data.grades.get(need["id"], {})
        relevant = [s for s, g in grades.items() if g >= 1]
        ranked = rankings[need["id"]]
        recall = recall_at(ranked, relevant)
        if recall is not None:
            recalls.append(recall)
        rrs.append(reciprocal_rank(ranked, relevant))
        ndcgs.append(ndcg_at(ranked, grades))
        top = set(ranked[:RECALL_AT])
        for s in relevant:
            if data.languages[s] != need["language"]:
                cross_total += 1
                cross_found += s in top
    return {
        "needs": len(rrs),
        "recall@5": round(statistics.fmean(recalls), 4) if recalls else None,
        "mrr": round(statistics.fmean(rrs), 4) if rrs else None,
        "ndcg@10": round(statistics.fmean(ndcgs), 4) if ndcgs else None,
        "cross_language_recall@5": round(cross_found / cross_total, 4) if cross_total else None,
        "cross_language_pairs": cross_total,
    }


# --- systems -----------------------------------------------------------------------------

Ranker = Callable[[dict[str, Any]], list[str]]


def matching_ranker(data: LabelledSet) -> Ranker:
    from matching.domain.model import NeedProfile, SolutionProfile
    from matching.domain.solution_index import SolutionIndex

    index = SolutionIndex()
    for s in data.solutions:
        index.upsert(
            SolutionProfile(
                solution_id=s["id"],
                supplier_org=s["supplier"],
                name=s["name"],
                description=s["description"],
                cpv_codes=tuple(s["cpv_codes"]),
                regions=tuple(s["regions"]),
                maturity=s["maturity"],
                tags=frozenset(s.get("tags", ())),
                language=s["language"],
            )
        )

    def rank(need: dict[str, Any]) -> list[str]:
        profile = NeedProfile(
            need_id=need["id"],
            buyer_org=need["buyer"],
            title=need["title"],
            problem=need["problem"],
            cpv_codes=tuple(need["cpv_codes"]),
            municipality_code=need["municipality_code"],
            phase=need["phase"],
            tags=frozenset(need.get("tags", ())),
            language=need["language"],
        )
        return [m.solution_id for m in index.rank(profile, k=DEPTH)]

    return rank


def bm25s_ranker(data: LabelledSet) -> Ranker:
    import bm25s
    import Stemmer
    from bm25s.stopwords import STOPWORDS_EN, STOPWORDS_SWEDISH

    stem = Stemmer.Stemmer("swedish").stemWords
    stop = list(STOPWORDS_SWEDISH) + list(STOPWORDS_EN)
    ids = [s["id"] for s in data.solutions]
    corpus = [f"{s['name']}. {s['description']}" for s in data.solutions]
    retriever = bm25s.BM25()
    retriever.index(
        bm25s.tokenize(corpus, stopwords=stop, stemmer=stem, show_progress=False),
        show_progress=False,
    )

    def rank(need: dict[str, Any]) -> list[str]:
        query = bm25s.tokenize(
            [f"{need['title']}. {need['problem']}"],
            stopwords=stop,
            stemmer=stem,
            return_ids=False,
            show_progress=False,
        )
        if not query[0]:
            return []
        docs, scores = retriever.retrieve(query, k=DEPTH, show_progress=False, n_threads=0)
        return [ids[int(d)] for d, sc in zip(docs[0], scores[0], strict=True) if sc > 0]

    return rank


def cpv_ranker(data: LabelledSet) -> Ranker:
    from marketplace_contracts.reference.cpv import shared_depth

    def depth(need: dict[str, Any], solution: dict[str, Any]) -> int:
        return max(
            (shared_depth(a, b) for a in need["cpv_codes"] for b in solution["cpv_codes"]),
            default=0,
        )

    def rank(need: dict[str, Any]) -> list[str]:
        shared = [(-depth(need, s), s["id"]) for s in data.solutions]
        return [i for d, i in sorted(x for x in shared if x[0] < 0)[:DEPTH]]

    return rank


SYSTEMS: dict[str, Callable[[LabelledSet], Ranker]] = {
    "matching": matching_ranker,
    "bm25s": bm25s_ranker,
    "cpv": cpv_ranker,
}


def run(data: LabelledSet) -> dict[str, Any]:
    results: dict[str, Any] = {}
    for name, build in SYSTEMS.items():
        rank = build(data)
        rankings = {need["id"]: rank(need) for need in data.needs}
        results[name] = {split: figures(data, rankings, split) for split in SPLITS}
    ours = results["matching"]["all"]
    results["above_both_baselines"] = {
        metric: all(ours[metric] > results[b]["all"][metric] for b in ("bm25s", "cpv"))
        for metric in ("recall@5", "mrr", "ndcg@10")
    }
    results["targets"] = TARGETS
    return results


def table(results: dict[str, Any]) -> str:
    head = (
        f"{'system':<9} {'split':<8} {'needs':>5} {'recall@5':>8} {'MRR':>6} {'nDCG@10':>7} "
        f"{'x-lang r@5':>10}"
    )
    lines = [head, "-" * len(head)]
    for name in SYSTEMS:
        for split in SPLITS:
            f = results[name][split]
            lines.append(
                f"{name:<9} {split:<8} {f['needs']:>5} {f['recall@5']:>8.3f} {f['mrr']:>6.3f} "
                f"{f['ndcg@10']:>7.3f} {f['cross_language_recall@5']:>10.3f}"
            )
    lines.append(
        f"targets: recall@5 >= {TARGETS['recall@5']}, MRR >= {TARGETS['mrr']}; "
        f"above both baselines: {results['above_both_baselines']}"
    )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--json", default=str(RESULTS / "relevance.json"))
    args = ap.parse_args(argv)
    m = machine()
    print(machine_line(m), flush=True)
    results = run(load())
    print(table(results), flush=True)
    out = Path(args.json)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"machine": m, **results}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
