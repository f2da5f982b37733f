"""The in-memory list of published needs: filters, order, keyset pages, versions (pure)."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from marketplace_contracts.cursors import time_cursor as cursor_of
from marketplace_contracts.cursors import time_key as key_of_cursor
from marketplace_contracts.events import (
    NeedCosigned,
    NeedPhaseChanged,
    NeedPublished,
    NeedWithdrawn,
)
from needs.domain.listing import (
    Listed,
    ListQuery,
    NeedListing,
    listed_after,
)

T0 = datetime(2026, 1, 1, tzinfo=UTC)
PHASES = ("hypothesis", "validation", "co-creation", "procurement")


def entry(i: int, **kw: object) -> Listed:
    fields: dict[str, object] = {
        "need_id": f"n{i:05d}",
        "version": 1,
        "buyer_org": f"org{i % 7}",
        "status": "published",
        "phase": PHASES[i % 4],
        # pairs share a time: the id breaks ties
        "published_ts": (T0 + timedelta(minutes=i // 2)).timestamp(),
        "cpv_prefixes": ("80", "805") if i % 3 == 0 else ("72", "722"),
        "county_code": "17" if i % 5 == 0 else "12",
        "municipality_code": "1780" if i % 5 == 0 else "1280",
        "terms": frozenset(
            ({"vard", "utbildning"} if i % 2 else {"snorojning"})
            | ({"rare"} if i % 50 == 0 else set())
        ),
        "title": f"Behov {i}",
        "summary": "Ett problem.",
        "cpv_codes": ("80500000",) if i % 3 == 0 else ("72200000",),
        "tags": (),
        "language": "sv",
        "organisations": 1,
        "updated_ts": (T0 + timedelta(minutes=i // 2)).timestamp(),
    }
    fields.update(kw)
    return Listed(**fields)  # type: ignore[arg-type]


def all_pages(listing: NeedListing, query: ListQuery, limit: int) -> list[str]:
    out: list[str] = []
    after = None
    while True:
        ids, more = listing.page(query, after=after, limit=limit)
        out += ids
        if not more:
            return out
        after = key_of_cursor(cursor_of(listing.key_of(ids[-1])))


def brute_force(entries: list[Listed], query: ListQuery) -> list[str]:
    def fits(e: Listed) -> bool:
        if query.phase is not None:
            if e.phase != query.phase:
                return False
        elif e.status != "published":
            return False
        if query.cpv_prefix and query.cpv_prefix not in e.cpv_prefixes:
            return False
        if query.county_codes and e.county_code not in query.county_codes:
            return False
        if query.municipality_code and e.municipality_code != query.municipality_code:
            return False
        return all(set(e.terms) & set(group) for group in query.term_groups)

    return [e.need_id for e in sorted(entries, key=lambda e: e.key, reverse=True) if fits(e)]


QUERIES = [
    ListQuery(),
    ListQuery(phase="validation"),
    ListQuery(cpv_prefix="805"),
    ListQuery(county_codes=("17",)),
    ListQuery(county_codes=("17", "12"), cpv_prefix="72"),
    ListQuery(municipality_code="1780", phase="hypothesis"),
    ListQuery(term_groups=(("vard", "missing"),)),
    ListQuery(term_groups=(("vard",), ("utbildning",)), cpv_prefix="805"),
    ListQuery(cpv_prefix="999"),
    # A candidate set far smaller than the list takes the sorting path, not the walk.
    ListQuery(term_groups=(("rare",),)),
    ListQuery(term_groups=(("rare",),), county_codes=("17",)),
]


@pytest.mark.parametrize("query", QUERIES)
@pytest.mark.parametrize("limit", [1, 7, 100])
def test_every_page_in_order_once_like_a_brute_force_scan(query: ListQuery, limit: int) -> None:
    entries = [entry(i) for i in range(400)]
    random.Random(4).shuffle(entries)  # arrival order must not matter
    listing = NeedListing()
    for e in entries:
        listing.put(e)
    assert all_pages(listing, query, limit) == brute_force(entries, query)


def test_newest_first_then_the_greater_id() -> None:
    listing = NeedListing()
    for i in (0, 3, 1, 2):
        listing.put(entry(i))
    ids, more = listing.page(ListQuery(), after=None, limit=10)
    assert ids == ["n00003", "n00002", "n00001", "n00000"] and not more


def test_an_older_version_never_replaces_a_newer_one() -> None:
    listing = NeedListing()
    assert listing.put(entry(1, version=3, phase="procurement"))
    assert not listing.put(entry(1, version=2, phase="validation"))
    assert listing.page(ListQuery(phase="validation"), after=None, limit=5) == ([], False)
    assert listing.page(ListQuery(phase="procurement"), after=None, limit=5)[0] == ["n00001"]
    assert listing.put(entry(1, version=4, phase="validation"))
    assert listing.page(ListQuery(phase="procurement"), after=None, limit=5) == ([], False)
    assert len(listing) == 1


def _published(version: int = 1, phase: str = "hypothesis") -> NeedPublished:
    return NeedPublished(
        need_id="need-1",
        version=version,
        buyer_org="karlstad",
        title="Digital ledsagning",
        problem="Personer med funktionsnedsättning behöver stöd att resa på egen hand",
        cpv_codes=["80500000"],
        municipality_code="1780",
        phase=phase,  # type: ignore[arg-type]
        published_at=T0,
    )


def test_events_of_the_needs_topic_move_the_entry() -> None:
    listing = NeedListing()

    def apply(event: object) -> None:
        held = listing.get("need-1")
        new = listed_after(event, held, event_time=T0 + timedelta(days=1))  # type: ignore[arg-type]
        if new is not None:
            listing.put(new)

    apply(
        NeedPhaseChanged(
            need_id="need-1",
            version=2,
            buyer_org="karlstad",
            from_phase="hypothesis",
            to_phase="validation",
            changed_by="u",
        )
    )
    assert len(listing) == 0  # a delta for a need not held yet changes nothing
    apply(_published())
    held = listing.get("need-1")
    assert held is not None
    assert held.published_ts == T0.timestamp()  # the need's publication, not the event's
    assert held.county_code == "17" and "805" in held.cpv_prefixes
    found = listing.page(ListQuery(term_groups=(("ledsagning",),)), after=None, limit=5)
    assert found == (["need-1"], False)
    apply(
        NeedPhaseChanged(
            need_id="need-1",
            version=2,
            buyer_org="karlstad",
            from_phase="hypothesis",
            to_phase="validation",
            changed_by="u",
        )
    )
    apply(
        NeedCosigned(
            need_id="need-1",
            version=3,
            buyer_org="karlstad",
            cosigner_org="hammaro",
            organisations=2,
        )
    )
    assert listing.page(ListQuery(phase="validation"), after=None, limit=5)[0] == ["need-1"]
    apply(NeedWithdrawn(need_id="need-1", version=4, buyer_org="karlstad"))
    assert listing.page(ListQuery(), after=None, limit=5) == ([], False)
    assert listing.page(ListQuery(phase="withdrawn"), after=None, limit=5)[0] == ["need-1"]


def test_a_changed_text_is_found_by_its_new_words_only_even_after_many_changes() -> None:
    listing = NeedListing()
    listing.put(entry(1, version=1, terms=("snorojning",)))
    listing.put(entry(2, version=1, terms=("snorojning",)))
    for version in range(2, 40):  # every change a new ordinal; dead ones compacted away
        listing.put(entry(1, version=version, terms=(f"word{version}",)))
    by_word = ListQuery(term_groups=(("snorojning",),))
    assert listing.page(by_word, after=None, limit=5) == (["n00002"], False)
    assert listing.page(ListQuery(term_groups=(("word39",),)), after=None, limit=5)[0] == ["n00001"]
    assert listing.page(ListQuery(term_groups=(("word38",),)), after=None, limit=5) == ([], False)
    # A delta (a phase move) keeps what the need is found by.
    listing.put(entry(1, version=40, terms=(), phase="validation"))
    query = ListQuery(phase="validation", term_groups=(("word39",),))
    assert listing.page(query, after=None, limit=5)[0] == ["n00001"]


@pytest.mark.parametrize("bad", ["", "abc", "e30", cursor_of((1.0, "x"))[:-3] + "!!!"])
def test_a_cursor_that_this_list_did_not_write_is_refused(bad: str) -> None:
    with pytest.raises(ValueError, match="cursor"):
        key_of_cursor(bad)


def test_a_search_of_stopwords_alone_finds_nothing_and_a_blank_one_is_no_condition() -> None:
    from needs.service.handlers import list_query

    listing = NeedListing()
    listing.put(entry(1, version=1, terms=("och", "ledsagning")))
    for q in (None, "", "   "):
        assert list_query(cpv=None, region=None, phase=None, q=q).term_groups == ()
        blank = list_query(cpv=None, region=None, phase=None, q=q)
        assert listing.page(blank, after=None, limit=5) == (["n00001"], False)
    # The suppliers' catalogue applies the same rule (`query_term_groups`, shared).
    for q in ("och", "och the i", "7"):
        query = list_query(cpv=None, region=None, phase=None, q=q)
        assert listing.page(query, after=None, limit=5) == ([], False)
