"""The shared Swedish/English analyser's search terms, under the names this service's
vocabulary and handlers use (`marketplace_contracts.text` and its `search` module).

`tokenize` here is the search's: stopwords of both languages removed.
"""

from __future__ import annotations

from marketplace_contracts.text import (
    ENGLISH_STOPWORDS,
    STOPWORDS,
    SWEDISH_STOPWORDS,
    normalize,
    stem,
)
from marketplace_contracts.text.search import (
    index_terms,
    matches,
    query_terms,
    split_compound,
    variants,
)
from marketplace_contracts.text.search import search_tokens as tokenize

__all__ = [
    "ENGLISH_STOPWORDS",
    "STOPWORDS",
    "SWEDISH_STOPWORDS",
    "index_terms",
    "matches",
    "normalize",
    "query_terms",
    "split_compound",
    "stem",
    "tokenize",
    "variants",
]
