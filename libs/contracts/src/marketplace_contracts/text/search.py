"""Search terms: what a listed document is findable by, and when a query matches it.

Pipeline (on the shared core): tokens without the stopwords of either language -> each token
kept as written plus its Swedish and English Snowball stems. Swedish compounds are written
as one word ("vårdpersonalsutbildning"), so a long token also contributes its suffixes and
prefixes of a useful length (and the stems of the suffixes): a query for "utbildning" or
"vårdpersonal" then finds it. A query token matches when any of its variants is among a
document's terms (`matches`, the rule the in-memory postings of the needs list and the
solution catalogue apply, `marketplace_contracts.text.postings`).

`split_compound` splits a compound into whole known words instead, fewest parts first, for
rankings that weigh each part once (the CPV vocabulary's search and suggestions).
"""

from __future__ import annotations

from collections.abc import Container, Iterable
from functools import lru_cache
from typing import Final

from . import LINKING_LETTERS, STOPWORDS, stem, tokenize

__all__ = [
    "COMPOUND_MIN_LENGTH",
    "MAX_QUERY_TOKENS",
    "MIN_PART",
    "MIN_PREFIX",
    "MIN_SUFFIX",
    "OPEN_REST",
    "index_terms",
    "matches",
    "query_term_groups",
    "query_terms",
    "search_tokens",
    "split_compound",
    "variants",
]

MIN_SUFFIX: Final = 5
MIN_PREFIX: Final = 4
COMPOUND_MIN_LENGTH: Final = 9
MAX_QUERY_TOKENS: Final = 12
MIN_PART: Final = 3
OPEN_REST: Final = 6


def search_tokens(text: str) -> list[str]:
    """Normalized words without the stopwords of either language, one-letter tokens or bare
    numbers."""
    return tokenize(text, STOPWORDS)


def variants(token: str) -> set[str]:
    """The token and its Swedish and English stems."""
    out = {token, stem(token, "sv"), stem(token, "en")}
    return {v for v in out if len(v) > 1}


def split_compound(
    word: str,
    known: Container[str],
    min_part: int = MIN_PART,
    open_modifier: int = 0,
    heads: Container[str] | None = None,
) -> tuple[str, ...]:
    """A compound's parts, each a known word of at least `min_part` letters, fewest first.

    Unlike the suffixes of `index_terms`, which serve prefix search, these are whole words
    ("snöröjning" -> "snö", "röjning"), so that a ranking can weigh each part once. Parts may
    be joined by a linking letter ("ordningsvakter" -> "ordning", "vakter"). With
    `open_modifier` > 0, a first part of at least that many letters may be unknown when the
    rest splits into known words ("arkivtjänster" -> "arkiv", "tjänster"): Swedish forms
    many compounds from a modifier that never stands alone in a word list. `heads`, if
    given, is what the last part may be instead (only the head of a compound is inflected:
    "ordnings-vakter"). Returns () when the word is not a compound.
    """
    best: list[tuple[str, ...] | None] = [None] * len(word) + [()]
    for i in range(len(word) - min_part, -1, -1):
        best[i] = _fewest_parts(word, i, (known, known if heads is None else heads), min_part, best)
    parts = best[0]
    if (parts is None or len(parts) < 2) and open_modifier:
        parts = _open_modifier(word, open_modifier, best)
    return parts if parts is not None and len(parts) > 1 else ()


def _open_modifier(
    word: str, min_length: int, best: list[tuple[str, ...] | None]
) -> tuple[str, ...] | None:
    """The shortest unknown first part before a known rest ("vakt" + "tjänster").

    The rest must be long: short known endings occur by chance ("kardiovasku" + "lära").
    """
    for end in range(min_length, len(word) - OPEN_REST + 1):
        for start_of_rest in (end, end + 1):
            linked = start_of_rest == end + 1
            if linked and word[end] not in LINKING_LETTERS:
                continue
            rest = best[start_of_rest] if start_of_rest < len(word) else None
            if rest and len(word) - start_of_rest >= OPEN_REST:
                return (word[:end], *rest)
    return None


def _fewest_parts(
    word: str,
    start: int,
    known: tuple[Container[str], Container[str]],
    min_part: int,
    best: list[tuple[str, ...] | None],
) -> tuple[str, ...] | None:
    found: tuple[str, ...] | None = None
    last = len(word) - 1 if start == 0 else len(word)  # the whole word is no split
    for end in range(start + min_part, last + 1):
        part = word[start:end]
        if part not in known[end == len(word)]:
            continue
        rests = [best[end]]
        if end < len(word) - 1 and word[end] in LINKING_LETTERS:
            rests.append(best[end + 1])
        for rest in rests:
            if rest is not None and (found is None or len(rest) + 1 < len(found)):
                found = (part, *rest)
    return found


def _compound_parts(token: str) -> set[str]:
    if len(token) < COMPOUND_MIN_LENGTH:
        return set()
    parts: set[str] = set()
    for i in range(1, len(token) - MIN_SUFFIX + 1):
        parts |= variants(token[i:])
    for j in range(MIN_PREFIX, len(token)):
        parts.add(token[:j])
    return parts


def index_terms(texts: Iterable[str | None]) -> list[str]:
    """Every term a document is findable by, sorted (a pure function of the text)."""
    terms: set[str] = set()
    for text in texts:
        for token in search_tokens(text or ""):
            terms |= _token_terms(token)
    return sorted(terms)


@lru_cache(maxsize=65_536)
def _token_terms(token: str) -> frozenset[str]:
    # Words repeat from document to document: a rebuild of a list of 100 000 needs analyses
    # each word once, not once a need (stemming every suffix is most of the cost).
    return frozenset(variants(token) | _compound_parts(token))


def query_terms(q: str) -> list[list[str]]:
    """For each query token, the variants of which one must be among a document's terms."""
    seen: list[str] = []
    for token in search_tokens(q):
        if token not in seen:
            seen.append(token)
    return [sorted(variants(t)) for t in seen[:MAX_QUERY_TOKENS]]


def query_term_groups(q: str | None) -> tuple[tuple[str, ...], ...]:
    """What a listing's `q` asks: the variants of each word (`query_terms`); no groups (no
    condition) for a blank `q`.

    A `q` of stopwords, one-letter words or bare numbers alone names nothing a document is
    findable by, so it finds nothing (one group without terms) rather than everything.
    """
    if not q or not q.strip():
        return ()
    groups = tuple(tuple(group) for group in query_terms(q))
    return groups or ((),)


def matches(terms: Iterable[str], q: str) -> bool:
    """The rule the listings' postings apply (every query word, one of its variants), for
    pure tests."""
    have = set(terms)
    return all(have & set(group) for group in query_term_groups(q))
