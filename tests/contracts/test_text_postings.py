"""The postings the needs list and the solution catalogue share: documents by key as arrays
of ordinals, re-posted only when their keys change, compacted, and selected by groups."""

from __future__ import annotations

import random

from marketplace_contracts.text.postings import Postings


def holders(postings: Postings[str], key: str) -> list[str]:
    return sorted(postings.ids(postings.posting(key)))


def test_a_document_is_found_by_its_keys_and_a_changed_one_only_by_its_new_keys() -> None:
    postings: Postings[str] = Postings()
    assert postings.post("a", ["vård", "omsorg"])
    assert postings.post("b", ["vård"])
    assert holders(postings, "vård") == ["a", "b"] and holders(postings, "omsorg") == ["a"]
    first = postings.ordinal("a")
    assert not postings.post("a", ["vård", "omsorg"])  # the same keys: nothing written
    assert postings.ordinal("a") == first and len(postings) == 2
    assert postings.post("a", ["skola"])
    assert postings.ordinal("a") != first  # the old ordinal is dead
    assert holders(postings, "omsorg") == [] and holders(postings, "skola") == ["a"]
    assert holders(postings, "vård") == ["b"]
    assert len(postings.posting("nothing")) == 0


def test_dead_ordinals_are_dropped_once_they_are_a_third() -> None:
    postings: Postings[str] = Postings()
    for i in range(3):
        postings.post(f"d{i}", ["gammal"])
    postings.post("d0", ["ny"])  # one dead of four: kept
    assert len(postings.posting("gammal")) == 3
    postings.post("d1", ["ny"])  # two dead of five: dropped
    assert list(postings.posting("gammal")) == [postings.ordinal("d2")]
    assert holders(postings, "ny") == ["d0", "d1"]


def test_select_sorts_few_candidates_walks_many_and_agrees_with_the_sets() -> None:
    rng = random.Random(4)
    keys = ["common", "half", "rare", "other"]
    postings: Postings[str] = Postings()
    held: dict[str, set[str]] = {}
    for i in range(400):
        doc = f"d{i % 300}"  # some documents re-posted under new keys
        chosen = {"common"} | {k for k in keys[1:] if rng.random() < {"half": 0.5}.get(k, 0.02)}
        postings.post(doc, sorted(chosen))
        held[doc] = chosen
    for groups in ([["rare"]], [["half"], ["common"]], [["rare", "other"], ["half"]], []):
        selection = postings.select(groups, 20)
        wanted = {d for d, ks in held.items() if all(ks & set(g) for g in groups)}
        if selection.few is not None:
            assert groups and groups[0][0] == "rare"  # only the rare word is few enough
            got = set(postings.ids(selection.few))
        else:
            got = {d for d in held if selection.admits(postings.ordinal(d))}
        assert got == wanted and selection.nothing == (not wanted)
    assert postings.select([["half"], ["missing"]], 20).nothing  # one empty group: nothing
    assert postings.select([["rare"]], 20).few is not None  # both ways are taken
    assert postings.select([["half"]], 20).few is None
