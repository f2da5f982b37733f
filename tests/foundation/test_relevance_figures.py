"""The figures of `bench.bench_relevance`, on rankings small enough to work out by hand,
and the labelled set they are computed on."""

from __future__ import annotations

import math

import pytest

from bench.bench_relevance import figures, load, ndcg_at, recall_at, reciprocal_rank


def test_recall_is_capped_at_five_relevant() -> None:
    assert recall_at(["a", "x", "b", "y", "z"], {"a", "b"}) == 1.0
    assert recall_at(["a", "x", "y", "z", "w", "b"], {"a", "b"}) == 0.5
    relevant = {f"r{i}" for i in range(8)}
    assert recall_at([f"r{i}" for i in range(5)], relevant) == 1.0
    assert recall_at(["a"], set()) is None


def test_reciprocal_rank_of_the_first_relevant_within_ten() -> None:
    assert reciprocal_rank(["x", "y", "a"], {"a"}) == pytest.approx(1 / 3)
    assert reciprocal_rank([f"x{i}" for i in range(10)] + ["a"], {"a"}) == 0.0


def test_ndcg_weighs_primary_above_relevant() -> None:
    grades = {"p": 2, "r": 1, "n": 0}
    assert ndcg_at(["p", "r"], grades) == pytest.approx(1.0)
    swapped = (1 + 3 / math.log2(3)) / (3 + 1 / math.log2(3))
    assert ndcg_at(["r", "p"], grades) == pytest.approx(swapped)
    assert ndcg_at(["n", "x"], grades) == 0.0


def test_the_labelled_set_holds_what_the_figures_need() -> None:
    data = load()
    assert len(data.needs) >= 120
    assert len(data.solutions) >= 400
    assert {n["split"] for n in data.needs} == {"tune", "holdout"}
    for need in data.needs:
        assert max(data.grades[need["id"]].values()) == 2  # every need has a primary
    perfect = {
        n["id"]: sorted(data.grades[n["id"]], key=lambda s: -data.grades[n["id"]][s])
        for n in data.needs
    }
    best = figures(data, perfect, "all")
    assert best["mrr"] == 1.0
    assert best["ndcg@10"] == pytest.approx(1.0)
