"""Swedish and English text, one analyser for every service: pure and deterministic.

This package is the core that every use shares: normalisation (NFC + casefold, so that å, ä
and ö are single letters however they were typed), tokens (runs of letters and digits), the
stopwords of both languages, Snowball stems and the linking letters of Swedish compounds.
Two uses are built on it:

* `marketplace_contracts.text.search`: the terms a list finds a document by and the rule a
  query matches with (a token's stems, and a compound's prefixes and suffixes), used by the
  list of needs, the solution catalogue and the CPV vocabulary;
* `marketplace_contracts.text.ranking`: the `Analyzer` behind matching's relevance ranking
  (language detection, stems, dictionary-based decompounding, term counts).

`marketplace_contracts.text.postings` holds what the needs list and the solution catalogue
post those terms in: documents by key, as compact arrays of ordinals;
`marketplace_contracts.text.listing` is the listing both are built on (entries in key order,
their postings, keyset pages).

Stems come from PyStemmer (a C extension, no I/O), imported on the first stem: normalizing
and tokenizing need nothing beyond the standard library.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Container, Sequence
from functools import cache
from typing import Final, Literal, Protocol

__all__ = [
    "ENGLISH_STOPWORDS",
    "LANGUAGES",
    "LINKING_LETTERS",
    "STOPWORDS",
    "SWEDISH_STOPWORDS",
    "Language",
    "Stemmer",
    "new_stemmer",
    "normalize",
    "stem",
    "stem_words",
    "tokenize",
    "word_set",
]

Language = Literal["sv", "en"]

LANGUAGES: Final[tuple[Language, ...]] = ("sv", "en")
# Swedish joins compound parts with these linking letters ("omsorg-s-personal", "pojk-e-skola").
LINKING_LETTERS: Final = frozenset("se")

# Letters and digits of any script; "_" is a word character for `\w` but not for us.
_TOKEN_RE: Final = re.compile(r"[^\W_]+")
_SNOWBALL: Final[dict[Language, str]] = {"sv": "swedish", "en": "english"}


def word_set(text: str) -> frozenset[str]:
    """The white-space separated words of a literal list."""
    return frozenset(text.split())


# Function words only (Snowball's lists, trimmed), so that every word a person searches for
# that carries a topic stays findable. The ranking adds words frequent in procurement prose.
SWEDISH_STOPWORDS: Final = word_set(
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
ENGLISH_STOPWORDS: Final = word_set(
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


def normalize(text: str) -> str:
    """NFC, then casefold, then NFC again: "Å" in either Unicode form becomes the one "å"."""
    return unicodedata.normalize("NFC", unicodedata.normalize("NFC", text).casefold())


def tokenize(text: str, stopwords: Container[str] = frozenset()) -> list[str]:
    """Normalized runs of letters and digits, in order, without `stopwords`; one-letter
    tokens and bare numbers carry no topic and are dropped too."""
    return [
        t
        for t in _TOKEN_RE.findall(normalize(text))
        if len(t) > 1 and not t.isdigit() and t not in stopwords
    ]


class Stemmer(Protocol):
    """A Snowball stemmer of one language (PyStemmer's ``Stemmer.Stemmer``)."""

    def stemWord(self, word: str) -> str: ...

    def stemWords(self, words: Sequence[str]) -> list[str]: ...


def new_stemmer(language: Language) -> Stemmer:
    """A stemmer of its own: a PyStemmer stemmer has internal state, so one instance must
    not be used by two threads at once."""
    import Stemmer as pystemmer

    stemmer: Stemmer = pystemmer.Stemmer(_SNOWBALL[language])
    return stemmer


@cache
def _shared(language: Language) -> Stemmer:
    return new_stemmer(language)


def stem(word: str, language: Language = "sv") -> str:
    """The Snowball stem of one normalized word, in "sv" or "en"."""
    return str(_shared(language).stemWord(word))


def stem_words(words: Sequence[str], language: Language = "sv") -> list[str]:
    """The Snowball stems of normalized words, in order."""
    return list(_shared(language).stemWords(list(words)))
