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
(`search.regions_serving`); and the words of `q`, each of which must occur as a substring of
the normalized name, description or tags (`search.text_matches`). For the words, every
solution is listed under its distinct words (`search.text_words`), and each such word under
its pieces of one, two and three letters: a query word finds the words that contain it
(through its rarest trigram, or its own entry when it is that short), and so its candidates.
Every candidate is then checked with `search.words_occur` on its words, which is the test
`text_matches` makes; a query word in most texts narrows nothing and that check decides.

Order: by name in Swedish order (`swedish_sort_key`), then id. Pages are keyset (`after` the
key of the previous page's last solution), so a page costs the same at any depth and
nothing is counted.
"""

from __future__ import annotations

import bisect
import heapq
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from typing import Any, TypeVar

from marketplace_contracts.events import Payload, SolutionRetired, SolutionState
from marketplace_contracts.reference import swedish_sort_key
from marketplace_contracts.text.summary import summary_of

from .catalogue import Solution
from .search import SolutionQuery, cpv_prefixes, searchable_text, text_words, words_occur

# Postings keys: one namespace per filter.
CPV, REGION, STATUS, SUPPLIER = "cpv", "region", "status", "supplier"
PUBLISHED, RETIRED = "published", "retired"
GRAM = 3  # words are indexed under their pieces of one, two and three letters
PIECES = range(1, GRAM + 1)
# A candidate set this much smaller than the list is sorted; a larger one is walked in order.
SORT_BELOW_SHARE = 8

# (Swedish primary weights as a string, case-folded name, name, id): sorts exactly as
# (swedish_sort_key(name), id), and compares as strings do, fast.
Key = tuple[str, str, str, str]
K = TypeVar("K")


def sort_key(name: str, solution_id: str) -> Key:
    primary, folded, original = swedish_sort_key(name)
    # Each weight as two code units of fixed width: the strings compare as the tuples do.
    weights = "".join(chr(w >> 16) + chr(w & 0xFFFF) for w in primary)
    return (weights, folded, original, solution_id)


@dataclass(frozen=True, slots=True)
class Listed:
    """What the list needs of one solution: its filters and its card's fields. `words`
    are the distinct words of its searchable text, space-separated (`search.text_words`)."""

    solution_id: str
    version: int
    supplier_org: str
    status: str
    name: str
    cpv_prefixes: tuple[str, ...]
    regions: tuple[str, ...]
    words: str
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

    def postings(self) -> Iterator[tuple[str, str]]:
        yield STATUS, self.status
        yield SUPPLIER, self.supplier_org
        for prefix in self.cpv_prefixes:
            yield CPV, prefix
        for region in self.regions:
            yield REGION, region


class SolutionListing:
    def __init__(self) -> None:
        self._entries: dict[str, Listed] = {}
        self._order: list[Key] = []
        self._postings: dict[tuple[str, str], set[str]] = {}
        self._words: dict[str, set[str]] = {}  # word -> solutions whose text holds it
        self._grams: dict[str, set[str]] = {}  # piece of 1-3 letters -> words that hold it

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, solution_id: str) -> Listed | None:
        return self._entries.get(solution_id)

    def put(self, entry: Listed) -> bool:
        """Add or replace a solution's entry; one older than the entry held is ignored."""
        old = self._entries.get(entry.solution_id)
        if old is not None:
            if old.version >= entry.version:
                return False
            self._remove(old)
        self._entries[entry.solution_id] = entry
        bisect.insort(self._order, entry.key)
        for posting in entry.postings():
            self._postings.setdefault(posting, set()).add(entry.solution_id)
        for word in entry.words.split():
            holders = self._words.get(word)
            if holders is None:
                holders = self._words[word] = set()
                for gram in _grams(word, PIECES):
                    self._grams.setdefault(gram, set()).add(word)
            holders.add(entry.solution_id)
        return True

    def _remove(self, entry: Listed) -> None:
        index = bisect.bisect_left(self._order, entry.key)
        if index < len(self._order) and self._order[index] == entry.key:
            del self._order[index]
        for posting in entry.postings():
            _discard(self._postings, posting, entry.solution_id)
        for word in entry.words.split():
            holders = self._words.get(word)
            if holders is None:
                continue
            holders.discard(entry.solution_id)
            if not holders:
                del self._words[word]
                for gram in _grams(word, PIECES):
                    _discard(self._grams, gram, word)

    # --- reads -------------------------------------------------------------------------

    def page(
        self, query: SolutionQuery, *, after: Key | None, limit: int
    ) -> tuple[list[str], bool]:
        """The ids of one page in list order, and whether more follow."""
        sets = self._candidate_sets(query)
        if any(not s for s in sets):
            return [], False
        sets.sort(key=len)
        if sets and len(sets[0]) * SORT_BELOW_SHARE < len(self._order):
            ids = self._sorted_matches(sets, query.words, after, limit + 1)
        else:
            start = bisect.bisect_right(self._order, after) if after is not None else 0
            ids = self._walked_matches(sets, query.words, start, limit + 1)
        return ids[:limit], len(ids) > limit

    def _candidate_sets(self, query: SolutionQuery) -> list[set[str]]:
        empty: set[str] = set()
        get = self._postings.get
        sets: list[set[str]] = []
        if query.published_only:
            sets.append(get((STATUS, PUBLISHED), empty))
        if query.supplier_org:
            sets.append(get((SUPPLIER, query.supplier_org), empty))
        if query.cpv_prefixes is not None:
            sets.append(_union(get((CPV, p), empty) for p in query.cpv_prefixes))
        if query.regions is not None:
            sets.append(_union(get((REGION, r), empty) for r in query.regions))
        for word in query.words:
            holders = self._holders_of(word)
            if holders is not None:
                sets.append(holders)
        return sets

    def _holders_of(self, word: str) -> set[str] | None:
        """The solutions whose text holds `word` (as a substring), or None where postings
        would not narrow the list cheaply (a word in most texts): the final check
        (`words_occur`) then decides alone."""
        if len(word) <= GRAM:
            words: Iterable[str] = self._grams.get(word, ())  # every word that holds it
        else:
            rarest = min((self._grams.get(g, set()) for g in _grams(word)), key=len)
            words = [w for w in rarest if word in w]
        total = 0
        for w in words:
            total += len(self._words[w])
            if total > len(self._entries):
                return None
        return _union(self._words[w] for w in words)

    def _sorted_matches(
        self, sets: list[set[str]], words: tuple[str, ...], after: Key | None, count: int
    ) -> list[str]:
        smallest, rest = sets[0], sets[1:]
        entries = self._entries
        keys = []
        for solution_id in smallest:
            if not all(solution_id in other for other in rest):
                continue
            entry = entries[solution_id]
            if after is not None and entry.key <= after:
                continue
            if words_occur(entry.words, words):
                keys.append(entry.key)
        return [key[3] for key in heapq.nsmallest(count, keys)]

    def _walked_matches(
        self, sets: list[set[str]], words: tuple[str, ...], start: int, count: int
    ) -> list[str]:
        out: list[str] = []
        order, entries = self._order, self._entries
        for index in range(start, len(order)):
            solution_id = order[index][3]
            if not all(solution_id in s for s in sets):
                continue
            if words and not words_occur(entries[solution_id].words, words):
                continue
            out.append(solution_id)
            if len(out) == count:
                break
        return out


def _grams(word: str, sizes: Iterable[int] = (GRAM,)) -> set[str]:
    return {word[i : i + n] for n in sizes for i in range(len(word) - n + 1)}


def _discard(index: dict[K, set[str]], key: K, value: str) -> None:
    values = index.get(key)
    if values is not None:
        values.discard(value)
        if not values:
            del index[key]


def _union(sets: Iterable[set[str]]) -> set[str]:
    out: set[str] = set()
    for s in sets:
        out |= s
    return out


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
        words=" ".join(text_words(searchable_text(name, description, tags))),
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
