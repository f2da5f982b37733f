"""Search terms for Swedish and English text, pure and deterministic.

Pipeline: NFC + casefold (å, ä, ö stay single letters) -> runs of letters and digits ->
stopwords of both languages removed -> each token kept as written plus its Swedish and
English Snowball stems. Swedish compounds are written as one word
("vårdpersonalsutbildning"), so a long token also contributes its suffixes and prefixes
of a useful length (and the stems of the suffixes): a query for "utbildning" or
"vårdpersonal" then finds it. A query token matches when any of its variants is among a
need's terms.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from functools import cache
from typing import Final

import Stemmer

_TOKEN_RE: Final = re.compile(r"[^\W_]+")
MIN_SUFFIX: Final = 5
MIN_PREFIX: Final = 4
COMPOUND_MIN_LENGTH: Final = 9
MAX_QUERY_TOKENS: Final = 12


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


SWEDISH_STOPWORDS: Final = _words(
    """
    alla allt att av bara bli blev blir både de dem den denna deras dess dessa det detta
    din dina ditt du där då efter ej eller en er era ert ett från för ha hade han hans har
    henne hennes hon honom hur här i icke ingen inom inte jag ju kan kunde man med mellan
    men mig min mina mitt mot mycket ni nu när någon något några och om oss på samma sedan
    sig sin sina sitta själv skulle som så sådan sådana sådant till under upp ut utan vad
    var vara varför varit varje vars vart vem vi vid vilka vilkas vilken vilket vår våra
    vårt än är åt över även också ska samt
    """
)
ENGLISH_STOPWORDS: Final = _words(
    """
    a about above after again against all am an and any are as at be because been before
    being below between both but by can could did do does doing down during each few for
    from further had has have having he her here hers him his how i if in into is it its
    just me more most my no nor not now of off on once only or other our out over own same
    she should so some such than that the their them then there these they this those
    through to too under until up very was we were what when where which while who whom why
    will with would you your
    """
)
STOPWORDS: Final = SWEDISH_STOPWORDS | ENGLISH_STOPWORDS


@cache
def _stemmer(language: str) -> Stemmer.Stemmer:
    return Stemmer.Stemmer(language)


def normalize(text: str) -> str:
    return unicodedata.normalize("NFC", unicodedata.normalize("NFC", text).casefold())


def tokenize(text: str) -> list[str]:
    """Normalized words without stopwords, one-letter tokens or bare numbers."""
    return [
        t
        for t in _TOKEN_RE.findall(normalize(text))
        if len(t) > 1 and not t.isdigit() and t not in STOPWORDS
    ]


def variants(token: str) -> set[str]:
    """The token and its Swedish and English stems."""
    out = {token, _stemmer("swedish").stemWord(token), _stemmer("english").stemWord(token)}
    return {v for v in out if len(v) > 1}


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
        for token in tokenize(text or ""):
            terms |= variants(token)
            terms |= _compound_parts(token)
    return sorted(terms)


def query_terms(q: str) -> list[list[str]]:
    """For each query token, the variants of which one must be among a document's terms."""
    seen: list[str] = []
    for token in tokenize(q):
        if token not in seen:
            seen.append(token)
    return [sorted(variants(t)) for t in seen[:MAX_QUERY_TOKENS]]


def matches(terms: Iterable[str], q: str) -> bool:
    """The same rule as the database query, for pure tests."""
    have = set(terms)
    return all(have & set(group) for group in query_terms(q))
