"""The solution catalogue as a searchable list, held in memory: pure, no I/O.

FerretDB 1.x answers only a filter on `_id` alone from an index; any other filter, sort or
count decodes the whole collection (seconds at 50 000 solutions). So `GET /v1/solutions` is
answered here, from postings per filter value; each entry also holds the solution's card
(what a list shows of it: name, supplier, the description's opening, codes, regions,
maturity, adoptions), so a page reads nothing from the database. The listing is fed from
Kafka's solutions topic (compacted: the latest state of every solution, or its retirement)
and from this instance's own writes at once (a supplier sees what it just published); both
carry the solution's version, and an older one never overwrites a newer one.

The filters are those of `search.SolutionQuery`, with the meaning the catalogue search has
always had: a supplier; published solutions only unless retired ones are asked for; any of
some stored CPV prefixes (`search.cpv_search_prefixes`); any of some served regions
(`search.regions_serving`); and the words of `q`, each of which must match one of the
solution's search terms (`search.search_terms`, the shared analyser's `index_terms`, as the
needs list has them). Every solution is posted under its supplier, prefixes, regions and
terms (`marketplace_contracts.text.postings`), so the postings alone answer a search: no
text is kept or scanned. The status is checked on the entry, which the list walks anyway.

Order: by name in Swedish order (`swedish_sort_key`), then id. Pages are keyset (`after` the
key of the previous page's last solution), so a page costs the same at any depth and
nothing is counted.
The mechanism (order, postings, pages) is `marketplace_contracts.text.listing.Listing`, which
the needs list shares.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from typing import Any

from marketplace_contracts.events import Payload, SolutionRetired, SolutionState
from marketplace_contracts.reference import swedish_sort_key
from marketplace_contracts.text.listing import Listing
from marketplace_contracts.text.summary import summary_of

from .catalogue import Solution
from .search import SolutionQuery, cpv_prefixes, search_terms

# Postings keys: one namespace per filter.
CPV, REGION, SUPPLIER, TERM = "cpv", "region", "supplier", "term"
PUBLISHED, RETIRED = "published", "retired"

# (Swedish primary weights as a string, case-folded name, name, id): sorts exactly as
# (swedish_sort_key(name), id), and compares as strings do, fast.
Key = tuple[str, str, str, str]


def sort_key(name: str, solution_id: str) -> Key:
    primary, folded, original = swedish_sort_key(name)
    # Each weight as two code units of fixed width: the strings compare as the tuples do.
    weights = "".join(chr(w >> 16) + chr(w & 0xFFFF) for w in primary)
    return (weights, folded, original, solution_id)


@dataclass(frozen=True, slots=True)
class Listed:
    """What the list needs of one solution: its filters and its card's fields. `terms` are
    its search terms (`search.search_terms`): the listing posts them and does not keep
    them; None (a retirement, and every entry held) keeps the postings of the entry it
    follows."""

    solution_id: str
    version: int
    supplier_org: str
    status: str
    name: str
    cpv_prefixes: tuple[str, ...]
    regions: tuple[str, ...]
    terms: tuple[str, ...] | None
    key: Key
    summary: str
    cpv_codes: tuple[str, ...]
    maturity: str
    tags: tuple[str, ...]
    price_model: str | None
    languages: tuple[str, ...]
    adoption_count: int

    def card(self) -> dict[str, Any]:
        """The solution as a list shows it; `GET /v1/solutions/{id}` gives it whole."""
        return {
            "id": self.solution_id,
            "version": self.version,
            "supplier_org": self.supplier_org,
            "name": self.name,
            "summary": self.summary,
            "cpv_codes": list(self.cpv_codes),
            "regions": list(self.regions),
            "maturity": self.maturity,
            "tags": list(self.tags),
            "price_model": self.price_model,
            "languages": list(self.languages),
            "adoption_count": self.adoption_count,
            "status": self.status,
        }

    @property
    def carries_postings(self) -> bool:
        return self.terms is not None

    def kept(self) -> Listed:
        return self if self.terms is None else replace(self, terms=None)

    def postings(self) -> Iterator[tuple[str, str]]:
        """The selective filters' keys; the status is checked on the entry itself."""
        yield SUPPLIER, self.supplier_org
        for prefix in self.cpv_prefixes:
            yield CPV, prefix
        for region in self.regions:
            yield REGION, region
        for term in self.terms or ():
            yield TERM, term

    def fits(self, query: SolutionQuery) -> bool:
        """The filter that is not a posting (the others are checked by the caller)."""
        return not query.published_only or self.status == PUBLISHED


class SolutionListing(Listing[Listed, SolutionQuery]):
    """The solutions in Swedish order of names (`marketplace_contracts.text.listing`)."""

    def __init__(self) -> None:
        super().__init__(posting_groups, descending=False)


def posting_groups(query: SolutionQuery) -> list[list[tuple[str, str]]]:
    """One group a filter (and a word of `q`): the keys any of which it allows."""
    groups: list[list[tuple[str, str]]] = []
    if query.supplier_org:
        groups.append([(SUPPLIER, query.supplier_org)])
    if query.cpv_prefixes is not None:
        groups.append([(CPV, p) for p in query.cpv_prefixes])
    if query.regions is not None:
        groups.append([(REGION, r) for r in query.regions])
    for terms in query.term_groups:
        groups.append([(TERM, t) for t in terms])
    return groups


# --- what feeds the listing ------------------------------------------------------------------


def listed(state: Mapping[str, Any], *, status: str) -> Listed:
    """The entry of a solution from its public state (`Solution.public_state`, or a
    solution.* state event's fields)."""
    solution_id, name = state["solution_id"], state["name"]
    description, tags = state["description"], tuple(state.get("tags") or ())
    return Listed(
        solution_id=solution_id,
        version=state["version"],
        supplier_org=state["supplier_org"],
        status=status,
        name=name,
        cpv_prefixes=tuple(cpv_prefixes(state["cpv_codes"])),
        regions=tuple(dict.fromkeys(state["regions"])),
        terms=tuple(search_terms(name, description, tags)),
        key=sort_key(name, solution_id),
        summary=summary_of(description),
        cpv_codes=tuple(state["cpv_codes"]),
        maturity=state["maturity"],
        tags=tags,
        price_model=state.get("price_model"),
        languages=tuple(state.get("languages") or ()),
        adoption_count=state.get("adoption_count", 0),
    )


def listed_from_solution(solution: Solution) -> Listed:
    """The entry of a solution as this instance just wrote it."""
    return listed(solution.public_state(), status=solution.status)


def listed_after(event: Payload, held: Listed | None) -> Listed | None:
    """The entry after one event of the solutions topic, or None when the event alone does
    not tell it: a retirement of a solution not held (compaction kept only that record; the
    caller reads the solution by id), an event of another kind."""
    if isinstance(event, SolutionState):
        return listed(event.model_dump(), status=PUBLISHED)
    if isinstance(event, SolutionRetired) and held is not None:
        return replace(held, version=event.version, status=RETIRED)
    return None
