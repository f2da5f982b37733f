"""The listing the needs list and the solution catalogue share: entries in key order either
way, older versions ignored, postings kept or replaced, and keyset pages that sort few
candidates or walk the order (and sort what is left when the candidates lie far down it),
with whether more follow."""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, replace

import pytest

from marketplace_contracts.text.listing import Listing, sort_at_most

COUNT = 240
LOW = 30


@dataclass(frozen=True, slots=True)
class Query:
    word_groups: tuple[tuple[str, ...], ...] = ()  # each group: any of its words
    tag: str | None = None  # checked on the entry, not posted


@dataclass(frozen=True, slots=True)
class Doc:
    doc_id: str
    version: int
    rank: int
    tag: str
    words: tuple[str, ...] | None  # None: keeps the postings held

    @property
    def key(self) -> tuple[int, str]:
        return (self.rank, self.doc_id)

    @property
    def carries_postings(self) -> bool:
        return self.words is not None

    def kept(self) -> Doc:
        return replace(self, words=None)

    def postings(self) -> Iterator[str]:
        yield from self.words or ()

    def fits(self, query: Query) -> bool:
        return query.tag is None or self.tag == query.tag


def word_groups(query: Query) -> tuple[tuple[str, ...], ...]:
    return query.word_groups


def doc(i: int, **changes: object) -> Doc:
    words = ["common"] + (["half"] if i % 2 else []) + (["rare"] if i % 40 == 0 else [])
    words += ["low"] if i < LOW else []  # the lowest ranks: the far end of a descending walk
    # pairs share a rank: the id breaks ties
    fields: dict[str, object] = {
        "doc_id": f"d{i:03d}",
        "version": 1,
        "rank": i // 2,
        "tag": "a" if i % 3 else "b",
        "words": tuple(words),
    }
    fields.update(changes)
    return Doc(**fields)  # type: ignore[arg-type]


def filled(*, descending: bool) -> tuple[Listing[Doc, Query], list[Doc]]:
    docs = [doc(i) for i in range(COUNT)]
    listing: Listing[Doc, Query] = Listing(word_groups, descending=descending)
    for d in random.Random(7).sample(docs, len(docs)):  # out of order: inserted, not appended
        assert listing.put(d)
    return listing, docs


def path(listing: Listing[Doc, Query], query: Query, limit: int) -> str:
    selection = listing._postings.select(query.word_groups, sort_at_most(limit + 1, len(listing)))
    return "nothing" if selection.nothing else "sorted" if selection.few else "walked"


def all_pages(listing: Listing[Doc, Query], query: Query, limit: int) -> list[str]:
    out: list[str] = []
    after = None
    for _ in range(COUNT + 1):  # a page that repeats its last entry would never end
        ids, more = listing.page(query, after=after, limit=limit)
        out += ids
        if not more:
            assert len(ids) <= limit
            return out
        assert len(ids) == limit
        held = listing.get(ids[-1])
        assert held is not None
        after = held.key
    raise AssertionError(f"more than {COUNT + 1} pages")


def brute_force(docs: list[Doc], query: Query, *, descending: bool) -> list[str]:
    def fits(d: Doc) -> bool:
        words = set(d.words or ())
        return d.fits(query) and all(words & set(group) for group in query.word_groups)

    return [d.doc_id for d in sorted(docs, key=lambda d: d.key, reverse=descending) if fits(d)]


QUERIES = [
    (Query(), "walked"),
    (Query(tag="b"), "walked"),
    (Query(word_groups=(("half",), ("common",)), tag="b"), "walked"),
    (Query(word_groups=(("rare", "half"),)), "walked"),
    (Query(word_groups=(("rare",),)), "sorted"),
    (Query(word_groups=(("rare",), ("common",)), tag="a"), "sorted"),
    (Query(word_groups=(("missing",),)), "nothing"),
]


@pytest.mark.parametrize("descending", [True, False])
@pytest.mark.parametrize(("query", "taken"), QUERIES)
@pytest.mark.parametrize("limit", [1, 2, 7, 500])
def test_every_page_in_list_order_once_with_more_until_the_last(
    descending: bool, query: Query, taken: str, limit: int
) -> None:
    listing, docs = filled(descending=descending)
    if limit < COUNT:
        assert path(listing, query, limit) == taken
    elif query.word_groups:
        assert path(listing, query, limit) in {"sorted", "nothing"}  # a page the whole list
    wanted = brute_force(docs, query, descending=descending)
    assert all_pages(listing, query, limit) == wanted
    assert listing.page(query, after=None, limit=len(wanted)) == (wanted, False)
    if wanted:
        assert listing.page(query, after=None, limit=len(wanted) - 1)[1]


@pytest.mark.parametrize("descending", [True, False])
def test_a_walk_that_finds_its_candidates_far_down_the_list_sorts_the_rest(
    descending: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    listing, docs = filled(descending=descending)
    low = Query(word_groups=(("low",),))
    limit = 2
    assert path(listing, low, limit) == "walked"  # too many to sort for a page of two
    sorted_after: list[object] = []
    sort = listing._sorted_matches

    def recorded(query: Query, candidates: set[int], after: object, count: int) -> list[str]:
        sorted_after.append(after)
        return sort(query, candidates, after, count)  # type: ignore[arg-type]

    monkeypatch.setattr(listing, "_sorted_matches", recorded)
    first, _ = listing.page(low, after=None, limit=limit)
    # Newest first, the low ranks come last: the walk gives up after as many steps as there
    # are candidates and sorts the rest; oldest first, they come first and the walk is short.
    assert bool(sorted_after) == descending
    assert first == brute_force(docs, low, descending=descending)[:limit]
    assert all_pages(listing, low, limit) == brute_force(docs, low, descending=descending)


def test_the_direction_decides_which_end_a_page_starts_from() -> None:
    newest, _ = filled(descending=True)
    oldest, _ = filled(descending=False)
    assert newest.page(Query(), after=None, limit=3) == (["d239", "d238", "d237"], True)
    assert oldest.page(Query(), after=None, limit=3) == (["d000", "d001", "d002"], True)
    held = (100, "d200")
    assert newest.page(Query(), after=held, limit=2) == (["d199", "d198"], True)
    assert oldest.page(Query(), after=held, limit=2) == (["d201", "d202"], True)
    between = (100, "d2005")  # no entry's key: the page starts at the next one
    assert newest.page(Query(), after=between, limit=2) == (["d200", "d199"], True)
    assert oldest.page(Query(), after=between, limit=2) == (["d201", "d202"], True)
    assert newest.page(Query(), after=(0, "d000"), limit=2) == ([], False)
    assert oldest.page(Query(), after=(119, "d239"), limit=2) == ([], False)


@pytest.mark.parametrize("descending", [True, False])
def test_an_older_version_is_ignored_and_a_newer_one_moves_the_entry(descending: bool) -> None:
    listing, _ = filled(descending=descending)
    assert listing.put(doc(5, version=3, rank=500, words=("moved",)))
    assert not listing.put(doc(5, version=2))  # older
    assert not listing.put(doc(5, version=3, rank=-1))  # the same version
    assert len(listing) == COUNT
    held = listing.get("d005")
    assert held is not None and (held.version, held.rank) == (3, 500)
    ids = all_pages(listing, Query(), 50)
    assert ids.count("d005") == 1 and len(ids) == COUNT
    assert ids[0 if descending else -1] == "d005"
    assert listing.page(Query(word_groups=(("moved",),)), after=None, limit=5) == (["d005"], False)
    assert "d005" not in all_pages(listing, Query(word_groups=(("common",),)), 50)


def test_an_entry_without_postings_keeps_those_held_and_words_are_not_kept() -> None:
    listing, _ = filled(descending=True)
    rare = Query(word_groups=(("rare",),))
    assert listing.put(doc(40, version=2, tag="b", words=None))  # a delta: only the tag moved
    held = listing.get("d040")
    assert held is not None and held.tag == "b" and held.words is None
    assert "d040" in listing.page(rare, after=None, limit=10)[0]
    assert "d040" in listing.page(replace(rare, tag="b"), after=None, limit=10)[0]
    assert "d040" not in listing.page(replace(rare, tag="a"), after=None, limit=10)[0]
    assert listing.put(doc(40, version=3, words=("other",)))  # new words replace the old
    assert "d040" not in listing.page(rare, after=None, limit=10)[0]
    assert listing.page(Query(word_groups=(("other",),)), after=None, limit=10)[0] == ["d040"]
