"""The in-memory catalogue listing: filters as the search always meant them, the words of
`q` by the shared analyser (as the needs list has them), Swedish order, keyset pages,
versions, and what feeds it (pure, plus the catalogue on in-memory fakes)."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import datetime
from typing import Any

import pytest

from marketplace_contracts.cursors import name_cursor, name_key, time_cursor, time_key
from marketplace_contracts.events import SolutionPublished, SolutionRetired, SolutionUpdated
from marketplace_contracts.reference import swedish_sort_key
from marketplace_contracts.text.listing import sort_at_most
from marketplace_contracts.text.search import query_term_groups, query_terms
from suppliers.domain import catalogue as rules
from suppliers.domain.catalogue import Solution
from suppliers.domain.listing import (
    TERM,
    SolutionListing,
    listed_after,
    listed_from_solution,
    sort_key,
)
from suppliers.domain.search import (
    SolutionQuery,
    cpv_prefixes,
    cpv_search_prefixes,
    regions_serving,
    search_terms,
)
from suppliers.service.catalogue import Catalogue, solution_query
from tests.suppliers.fakes import FakeProfiles, FakeRelay, FakeSolutions

NAMES = ["Örnen", "Ärlan", "Åsa", "Zebra", "zebra", "Alfa", "alfa", "Éclair", "Ångest", "10-i-topp"]
NAMES += ["VR-träning", "Vård 2", "Vård 10", "ÄLG", "Ödla", "Ystad", "Wilma", "Über", "Bo"]
WORDS = ["vård", "VR-utbildning", "sensorer", "snöröjning", "demens", "ledsagning", "x"]
WORDS += ["omsorg", "Trygghet,", "skola", "förskola", "inkludering", "IoT", "AI", "ä"]
WORDS += ["vårdpersonalsutbildning", "trainings", "training", "och", "the", "Hållbar"]
WORDS += ["ha\u030alla"]  # "å" decomposed
CPV = ["80500000", "80530000", "72000000", "09310000", "45233120", "33000000", "85300000"]
REGIONS = ["SE", "17", "1780", "12", "1283", "20", "2080", "01", "0180"]
TAGS = ["social-enterprise", "gender-equality", "on-site-follow-up", "digital-inclusion"]


def solution(i: int, rng: random.Random, **changes: Any) -> Solution:
    fields: dict[str, Any] = {
        "name": f"{rng.choice(NAMES)}{'' if i % 3 else ' ' + str(i % 7)}",
        "description": " ".join(rng.choice(WORDS) for _ in range(rng.randint(1, 6))),
        "cpv_codes": rng.sample(CPV, rng.randint(1, 2)),
        "regions": rng.sample(REGIONS, rng.randint(1, 2)),
        "maturity": "pilot",
        "tags": rng.sample(TAGS, rng.randint(0, 2)),
    }
    fields.update(changes)
    published = rules.publish(f"s{i:04d}", f"org{i % 5}", fields)
    return rules.retire(published) if i % 6 == 0 else published


def text_fits(s: Solution, query: SolutionQuery) -> bool:
    """Every word of `q` has a variant among the solution's search terms."""
    terms = set(search_terms(s.name, s.description, s.tags))
    return all(terms & set(group) for group in query.term_groups)


def brute_force(solutions: list[Solution], query: SolutionQuery) -> list[str]:
    """The catalogue search without postings: every solution read, filtered, sorted by name."""

    def fits(s: Solution) -> bool:
        return (
            (not query.supplier_org or s.supplier_org == query.supplier_org)
            and (not query.published_only or s.status == "published")
            and (
                query.cpv_prefixes is None
                or bool(set(query.cpv_prefixes) & set(cpv_prefixes(s.cpv_codes)))
            )
            and (query.regions is None or bool(set(query.regions) & set(s.regions)))
            and text_fits(s, query)
        )

    chosen = sorted(
        (s for s in solutions if fits(s)),
        key=lambda s: (swedish_sort_key(s.name), s.solution_id),
    )
    return [s.solution_id for s in chosen]


def all_pages(listing: SolutionListing, query: SolutionQuery, limit: int) -> list[str]:
    out: list[str] = []
    after = None
    while True:
        ids, more = listing.page(query, after=after, limit=limit)
        assert len(ids) <= limit
        out += ids
        if not more:
            return out
        last = listing.get(ids[-1])
        assert last is not None
        after = sort_key(*name_key(name_cursor(last.name, last.solution_id)))


QUERIES = [
    solution_query(),
    solution_query(include_retired=True),
    solution_query(supplier="org1"),
    solution_query(supplier="org1", include_retired=True),
    solution_query(supplier="nobody"),
    solution_query(cpv="805"),
    solution_query(cpv="8"),
    solution_query(cpv="80500000-9", region="1780"),
    solution_query(region="17"),
    solution_query(region="SE31"),
    solution_query(region="SE"),
    solution_query(q="vård"),
    solution_query(q="VÅRD omsorg"),
    solution_query(q="utbild"),  # the opening of a long word
    solution_query(q="vr-"),  # punctuation separates words
    solution_query(q="trygghet,"),
    solution_query(q="ä"),  # one letter alone: nothing
    solution_query(q="och the"),  # stopwords alone: nothing
    solution_query(q="ing"),  # a word's ending is no term
    solution_query(q="vårdpersonal"),  # a compound's opening
    solution_query(q="Utbildningar"),  # a compound's inflected head
    solution_query(q="trainings"),
    solution_query(q="HA\u030aLLBAR"),  # decomposed "Å"
    solution_query(q="hålla"),
    solution_query(q="ledsagning vård", supplier="org2"),
    solution_query(q="ai"),
    solution_query(q="inclusion"),  # a tag
    solution_query(q="zebra 3"),  # the name
    solution_query(q="sensorer snöröjning", region="12"),
    solution_query(q="finns-inte"),
    solution_query(q="   "),
    solution_query(q="skola", cpv="72", include_retired=True),
]


@pytest.mark.parametrize("query", QUERIES)
@pytest.mark.parametrize("limit", [1, 7, 100])
def test_every_page_in_order_once_like_the_search_that_read_everything(
    query: SolutionQuery, limit: int
) -> None:
    rng = random.Random(15)
    solutions = [solution(i, rng) for i in range(300)]
    listing = SolutionListing()
    for s in rng.sample(solutions, len(solutions)):  # arrival order must not matter
        listing.put(listed_from_solution(s))
    assert all_pages(listing, query, limit) == brute_force(solutions, query)


def test_the_query_words_of_the_analyser_find_what_they_name() -> None:
    """The cases of the issue through the listing's postings, against known answers."""
    texts = {
        "care": "Vårdpersonalsutbildning i VR",
        "train": "Digital training for care staff",
        "green": "Ha\u030allbar snöröjning",  # typed with a combining ring
        "sense": "Sensorer och larm för snöröjning",
    }
    listing = SolutionListing()
    for solution_id, description in texts.items():
        fields = {**BASE, "name": "N", "description": description}
        listing.put(listed_from_solution(rules.publish(solution_id, "acme", fields)))

    def ids(q: str) -> list[str]:
        found, more = listing.page(solution_query(q=q), after=None, limit=10)
        assert not more
        return sorted(found)

    assert ids("vårdpersonal") == ["care"]  # finds "vårdpersonalsutbildning"
    assert ids("utbildningar") == ["care"]
    assert ids("trainings") == ["train"] == ids("TRAINING")
    assert ids("ha\u030allbar") == ["green"] == ids("hållbar")  # decomposed or composed
    assert ids("snöröjning") == ["green", "sense"]
    assert ids("snöröjning sensorer") == ["sense"]  # every word must match
    assert ids("sensorer vårdpersonal") == []
    assert ids("och för i") == []  # stopwords alone: not everything
    assert ids("och sensorer") == ["sense"]  # beside a word they do not count
    assert ids("") == ids("   ") == ["care", "green", "sense", "train"]  # no condition


def test_words_are_answered_by_the_term_postings_alone() -> None:
    """No text is kept or read at a search: an entry is found by the terms it was posted
    under, whatever its name and description say."""
    listing = SolutionListing()
    entry = listed_from_solution(rules.publish("s1", "acme", {**BASE, "description": "demens"}))
    assert entry.terms is not None and "demens" in entry.terms
    listing.put(replace(entry, terms=("hemlig",)))
    held = listing.get("s1")
    assert held is not None and held.terms is None  # posted, not kept
    assert listing.page(solution_query(q="hemlig"), after=None, limit=5) == (["s1"], False)
    assert listing.page(solution_query(q="demens"), after=None, limit=5) == ([], False)


def test_a_rare_word_takes_the_sorting_path_and_agrees(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = random.Random(3)
    solutions = [solution(i, rng) for i in range(400)]
    solutions += [solution(i, rng, description="ovanlig") for i in range(400, 410)]
    listing = SolutionListing()
    for s in solutions:
        listing.put(listed_from_solution(s))
    query = solution_query(q="ovanliga")  # an inflection of the rare word

    def no_walk(*_: Any) -> list[str]:
        raise AssertionError("a rare word's few candidates are sorted, not walked")

    monkeypatch.setattr(listing, "_walked_matches", no_walk)
    assert 10 <= sort_at_most(2, len(listing)) < len(listing)  # walking was the other way
    expected = brute_force(solutions, query)
    assert sorted(expected) == [f"s{i:04d}" for i in range(400, 410) if i % 6]  # not retired
    for limit in (1, 3, 20):
        assert all_pages(listing, query, limit) == expected
    for narrower in (
        solution_query(q="ovanliga", cpv="805"),
        solution_query(q="ovanliga", region="17"),
    ):
        both = brute_force(solutions, narrower)  # every other filter still applies
        assert set() < set(both) < set(expected) and all_pages(listing, narrower, 2) == both


def test_the_order_is_swedish_then_id() -> None:
    names = ["Örnen", "Ärlan", "Zebra", "Åsa", "alfa", "Alfa", "Éclair", "10-i-topp"]
    listing = SolutionListing()
    for i, name in enumerate(names):
        base = rules.publish(f"id{9 - i}", "acme", {**BASE, "name": name})
        listing.put(listed_from_solution(base))
    ids, more = listing.page(solution_query(), after=None, limit=20)
    shown = [listing.get(i).name for i in ids]  # type: ignore[union-attr]
    assert shown == ["10-i-topp", "Alfa", "alfa", "Éclair", "Zebra", "Åsa", "Ärlan", "Örnen"]
    assert not more


def test_the_sort_key_orders_as_swedish_sort_key_does() -> None:
    rng = random.Random(8)
    alphabet = "aAåÅäÄöÖzZeéEü ß-_.,0123456789xyw\u00a0\U0010fffd\U0001f600"
    names = ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 6))) for _ in range(800)]
    by_listing = sorted(names, key=lambda n: sort_key(n, "id"))
    by_reference = sorted(names, key=lambda n: (swedish_sort_key(n), "id"))
    assert by_listing == by_reference


BASE: dict[str, Any] = {
    "name": "ViroteaED",
    "description": "VR-utbildning för vårdpersonal",
    "cpv_codes": ["80500000"],
    "regions": ["17"],
    "maturity": "market-ready",
}


def test_an_older_version_never_replaces_a_newer_one() -> None:
    listing = SolutionListing()
    first = rules.publish("s1", "acme", BASE)
    second = rules.update(first, {"name": "Nytt namn", "regions": ["12"]})
    assert listing.put(listed_from_solution(second))
    assert not listing.put(listed_from_solution(first))
    assert listing.page(solution_query(region="1780"), after=None, limit=5) == ([], False)
    assert listing.page(solution_query(q="nytt"), after=None, limit=5) == (["s1"], False)
    retired = rules.retire(second)
    assert listing.put(listed_from_solution(retired))
    assert listing.page(solution_query(), after=None, limit=5) == ([], False)
    assert listing.page(solution_query(include_retired=True), after=None, limit=5)[0] == ["s1"]
    assert len(listing) == 1


def test_a_changed_solution_leaves_the_postings_of_what_it_was() -> None:
    listing = SolutionListing()
    first = rules.publish("s1", "acme", {**BASE, "description": "sensorer för snöröjning"})
    listing.put(listed_from_solution(first))
    assert listing.page(solution_query(q="snöröjning"), after=None, limit=5) == (["s1"], False)
    changed = rules.update(first, {"description": "demens", "cpv_codes": ["72000000"]})
    listing.put(listed_from_solution(changed))
    assert listing.page(solution_query(q="snöröjning"), after=None, limit=5) == ([], False)
    assert listing.page(solution_query(q="snörö"), after=None, limit=5) == ([], False)
    assert listing.page(solution_query(cpv="805"), after=None, limit=5) == ([], False)
    assert listing.page(solution_query(q="demens", cpv="72"), after=None, limit=5)[0] == ["s1"]
    postings = listing._postings
    assert postings.ids(postings.posting((TERM, "snöröjning"))) == []  # a dead ordinal only


def published(version: int = 1, **changes: Any) -> SolutionPublished:
    fields: dict[str, Any] = {
        "solution_id": "s1",
        "version": version,
        "supplier_org": "acme",
        "name": "ViroteaED",
        "description": "VR-utbildning för vårdpersonal",
        "cpv_codes": ["80500000"],
        "regions": ["17"],
        "maturity": "market-ready",
        "tags": ["digital-inclusion"],
    }
    fields.update(changes)
    return SolutionPublished(**fields)


def test_events_of_the_solutions_topic_move_the_entry() -> None:
    listing = SolutionListing()

    def apply(event: Any) -> None:
        entry = listed_after(event, listing.get("s1"))
        if entry is not None:
            listing.put(entry)

    apply(published())
    apply(SolutionUpdated(**{**published(2).model_dump(), "name": "Annat namn"}))
    apply(published())  # a replay of an older state changes nothing
    held = listing.get("s1")
    assert held is not None and held.name == "Annat namn" and held.version == 2
    assert "805" in held.cpv_prefixes and held.regions == ("17",)
    assert listing.page(solution_query(q="inclus"), after=None, limit=5)[0] == ["s1"]
    apply(SolutionRetired(solution_id="s1", version=3, supplier_org="acme"))
    assert listing.page(solution_query(), after=None, limit=5) == ([], False)
    assert listing.page(solution_query(include_retired=True), after=None, limit=5)[0] == ["s1"]
    # A retirement of a solution not held says too little by itself.
    assert (
        listed_after(SolutionRetired(solution_id="s2", version=2, supplier_org="a"), None) is None
    )


async def test_a_retirement_alone_is_completed_from_the_stored_solution() -> None:
    """Compaction may leave only the retirement of a solution on the topic: the catalogue
    reads the solution by id to list it among the retired ones."""
    solutions = FakeSolutions()
    writer = Catalogue(FakeProfiles(), solutions, FakeRelay(), "/suppliers")
    created = await writer.publish("acme", BASE)
    await writer.retire("acme", created["id"])

    rebuilt = Catalogue(FakeProfiles(), solutions, FakeRelay(), "/suppliers")
    retirement = SolutionRetired(solution_id=created["id"], version=2, supplier_org="acme")
    await rebuilt.apply_to_listing(retirement)
    page = await rebuilt.search(include_retired=True)
    assert [s["id"] for s in page.items] == [created["id"]] and page.next is None
    assert (await rebuilt.search()).items == []
    await rebuilt.apply_to_listing(published(version=1, solution_id=created["id"]))
    assert (await rebuilt.search()).items == []  # the older state does not bring it back


async def test_the_catalogue_pages_by_cursor() -> None:
    catalogue = Catalogue(FakeProfiles(), FakeSolutions(), FakeRelay(), "/suppliers")
    for name in ["Örnen", "Ärlan", "Zebra", "Åsa", "Alfa"]:
        await catalogue.publish("acme", {**BASE, "name": name})
    seen: list[str] = []
    cursor = None
    while True:
        page = await catalogue.search(cursor=cursor, limit=2)
        seen += [s["name"] for s in page.items]
        if page.next is None:
            break
        cursor = page.next
    assert seen == ["Alfa", "Zebra", "Åsa", "Ärlan", "Örnen"]


@pytest.mark.parametrize("bad", ["", "abc", "e30", "WzEsMl0", name_cursor("a", "b")[:-3] + "!!"])
def test_a_cursor_that_a_list_did_not_write_is_refused(bad: str) -> None:
    with pytest.raises(ValueError, match="cursor"):
        name_key(bad)
    with pytest.raises(ValueError, match="cursor"):
        time_key(bad)


def test_cursors_round_trip() -> None:
    assert name_key(name_cursor("Örnen ÅÄÖ / ?&", "id-1")) == ("Örnen ÅÄÖ / ?&", "id-1")
    assert time_key(time_cursor((1767225600.123, "e1"))) == (1767225600.123, "e1")
    assert "=" not in name_cursor("a", "b") and "+" not in time_cursor((0.5, "x"))


def test_the_filters_are_the_search_functions() -> None:
    query = solution_query(cpv="8", region="1780", q=" Vård  OMSORG ", supplier="acme")
    assert query.cpv_prefixes == cpv_search_prefixes("8")
    assert query.regions == regions_serving("1780")
    assert query.term_groups == query_term_groups(" Vård  OMSORG ")
    assert query.term_groups == tuple(tuple(g) for g in query_terms("vård omsorg"))
    assert [("vård" in g, "omsorg" in g) for g in query.term_groups] == [
        (True, False),
        (False, True),
    ]


def test_the_openapi_examples_show_cursors_of_their_lists() -> None:
    from suppliers.entrypoints import schemas as http

    assert name_key(http.NEXT_EXAMPLE) == (
        http.SOLUTION_EXAMPLE["name"],
        http.SOLUTION_EXAMPLE["id"],
    )
    for cursor, shown in [
        (http.INBOX_NEXT, http.INBOX_EXAMPLE),
        (http.SUBSCRIPTION_NEXT, http.SUBSCRIPTION_EXAMPLE),
        (http.DELIVERY_NEXT, http.DELIVERY_EXAMPLE),
    ]:
        created = datetime.fromisoformat(shown["created_at"]).timestamp()
        assert time_key(cursor) == (created, shown["id"])


class NoReads(FakeSolutions):
    """Solutions that fail any read: a list page must be answered without one."""

    async def get(self, solution_id: str) -> Any:
        raise AssertionError(f"a list page read solution {solution_id}")


async def test_a_catalogue_page_reads_nothing_and_shows_each_solutions_card() -> None:
    catalogue = Catalogue(FakeProfiles(), NoReads(), FakeRelay(), "/suppliers")
    await catalogue.apply_to_listing(
        published(description="Ett äldre utkast.", price_model="licens")
    )
    await catalogue.apply_to_listing(
        SolutionUpdated(**{**published(version=2).model_dump(), "adoption_count": 26})
    )
    [card] = (await catalogue.search(q="vård")).items
    assert card["id"] == "s1" and card["version"] == 2 and card["adoption_count"] == 26
    assert card["summary"] == "VR-utbildning för vårdpersonal"  # the newer state's text
    assert (card["name"], card["supplier_org"], card["maturity"]) == (
        "ViroteaED",
        "acme",
        "market-ready",
    )
    assert card["cpv_codes"] == ["80500000"] and card["regions"] == ["17"]
    assert card["tags"] == ["digital-inclusion"] and card["status"] == "published"
    await catalogue.apply_to_listing(
        SolutionRetired(solution_id="s1", version=3, supplier_org="acme")
    )
    assert (await catalogue.search()).items == []
    [retired] = (await catalogue.search(include_retired=True)).items
    assert retired["status"] == "retired" and retired["adoption_count"] == 26


async def test_a_card_shows_the_opening_of_a_long_description() -> None:
    catalogue = Catalogue(FakeProfiles(), NoReads(), FakeRelay(), "/suppliers")
    long_text = "VR-utbildning för vårdpersonal i äldreomsorgen. " * 20
    await catalogue.apply_to_listing(published(description=long_text))
    [card] = (await catalogue.search()).items
    assert card["summary"].endswith("…") and len(card["summary"]) <= 280
    assert long_text.startswith(card["summary"][:-1])
