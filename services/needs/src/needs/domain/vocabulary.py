"""Search and suggestions over the whole CPV vocabulary: pure, in memory, built once.

`search` serves a code picker: a code prefix ("805", "80500000-9"), words matched against
the Swedish and English labels (prefix, stem or compound part, so "städ" finds
"Kontorsstädning"), or the children of a code; keyset-paginated with an opaque cursor.

`suggest` ranks codes for a need's free text. A code's label words are analysed like the
text (text.py: stopwords, Snowball stems; Swedish compounds split into words the labels
know, "snöröjning" -> "snö", "röjning") and scored with BM25, idf taken from the
vocabulary itself; the words every problem statement is full of ("behöver", "many") are
left out of the text. Then, because people write problems, not CPV labels:

* context: a code also scores a share of its ancestors' scores, so "Städning av skolor"
  beats an unrelated "skol..." code when the text speaks of cleaning;
* groups: a group (first three digits) met by several of the text's words is favoured
  over a lone hit, since a text about one subject touches several labels of its group;
* depth: divisions are too broad to be useful and bare codes often too narrow, so
  categories, classes and groups come first;
* spread: at most `PER_GROUP` codes of one group are listed, so that the first
  suggestions cover different readings of the text rather than one group's siblings.

The figures it reaches are measured by bench/bench_cpv_suggest.py.
"""

from __future__ import annotations

import bisect
import math
import re
import threading
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Final, Literal

from marketplace_contracts.reference.cpv import (
    CpvCode,
    InvalidCpvCode,
    all_codes,
    children_of,
    lookup,
    normalize_cpv,
)

from .code_cursor import Key, read_cursor, search_fingerprint, write_cursor
from .errors import InvalidInput
from .text import (
    ENGLISH_STOPWORDS,
    STOPWORDS,
    SWEDISH_STOPWORDS,
    normalize,
    split_compound,
    tokenize,
    variants,
)
from .text import stem as snowball_stem

Lang = Literal["sv", "en"]
LANGS: Final[tuple[Lang, ...]] = ("sv", "en")
# Part of every ETag: a change of the ranking changes answers as much as new data does.
ENGINE_VERSION: Final = "1"
MAX_LIMIT: Final = 100
MAX_QUERY: Final = 200
MAX_TEXT: Final = 10_000
MAX_QUERY_WORDS: Final = 12

# search: how well one query word meets one label word
EXACT, PREFIX, PART = 3, 2, 1
MIN_PART_MATCH: Final = 4  # shorter query words inside compounds match too much ("mat")
_WORD: Final = re.compile(r"[^\W_]+")
_CODE_QUERY: Final = re.compile(r"(\d{1,8})(?:-(\d))?")
_LEVEL_RANK: Final = {"division": 0, "group": 1, "class": 2, "category": 3, "code": 4}

# suggest: BM25 and the corrections of the module docstring; set by hand, then checked on
# the first 40 descriptions of tests/reference/cpv_suggest_labelled.py (never the last 20)
K1: Final = 1.2
B: Final = 0.5
PART_WEIGHT: Final = 0.6  # a compound's part says less than a whole word
OPEN_MODIFIER: Final = 4  # "arkiv" in "arkivtjänster", though no label says "arkiv"
OTHER_LANGUAGE: Final = 0.4  # a Swedish text meeting an English label ("support")
TITLE_WEIGHT: Final = 2
ANCESTOR_DECAY: Final = 0.5
GROUP_WEIGHT: Final = 0.35
GROUP_TOP: Final = 3
PER_GROUP: Final = 2
LEVEL_FACTOR: Final = {"division": 0.4, "group": 0.9, "class": 1.0, "category": 1.0, "code": 0.85}


def _word_set(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Words any problem statement is full of: wanting, lacking, degree, time and quantity.
# Labels rarely mean them ("Pass", "Aktiva kort"), so in a need's text they only mislead.
# Only suggest drops them; search keeps every word a person types.
PROSE_STOPWORDS: Final = _word_set(
    """
    behöver behov vill önskar kan kunna kunde få får fått finns fanns saknas saknar saknad
    idag dag dagar dagens dagligen tid tider timme timmar gång gånger ofta sällan alltid
    aldrig ibland länge många fler flera mer mest mindre minska öka ökar ökande större stor
    stora små liten lilla bättre bra sämre dålig dåligt dåliga god goda ny nya nytt nyare
    gamla gammal gammalt äldst olika kring runt genom bland enligt redan helt hela andra
    annat egen eget egna själva gärna lätt lättare svårt svår svåra lång långa längre kort
    kortare snabb snabbt snabbare smart smartare sätt hitta göra gör gjort går gå gick ta
    tar tas kommer komma ge ger kör passar passa fungerar fungera problem problemet lösning
    lösningar exempel bl t ex mm ca cirka per procent hälften del år året varje vissa
    särskilt just bara nog även ännu fortfarande både flesta ingen inget inga allt alla
    want wants wanted need needs needed like would lack lacks lacking many much more most
    less fewer better best good bad worse new old often rarely always never sometimes
    today day days daily time times hour hours week weeks year years long longer short
    shorter quick quickly fast faster easy easier hard difficult way ways find make makes
    made get gets take takes takes give gives use uses used able also still already
    almost lot lots every each per percent half part whole own kind sort problem problems
    solution solutions example instead especially actually really around across
    """
)


@dataclass(frozen=True, slots=True)
class CodeItem:
    code: str
    full: str
    label: str
    parent: str | None
    level: str


@dataclass(frozen=True, slots=True)
class SearchPage:
    items: tuple[CodeItem, ...]
    next: str | None


@dataclass(frozen=True, slots=True)
class Suggestion:
    code: str
    full: str
    label: str
    level: str
    score: float
    reason: str


# -- the index ------------------------------------------------------------------------


class _Index:
    """Everything both operations need, derived once from the shipped vocabulary."""

    def __init__(self, entries: Sequence[CpvCode]) -> None:
        self.entries = tuple(entries)
        self.codes = [e.code for e in self.entries]
        self.position = {e.code: i for i, e in enumerate(self.entries)}
        self.ancestors = [self._chain(e) for e in self.entries]
        self.label_tokens = self._label_tokens()
        self.token_variants = {t: frozenset(variants(t)) for t in self.label_tokens}
        self.lexicon = {lang: self._lexicon(lang) for lang in LANGS}
        self.postings = self._bm25_postings()

    def _chain(self, entry: CpvCode) -> tuple[int, ...]:
        """Positions of the ancestors, nearest first (parents, not digits: levels skip)."""
        chain: list[int] = []
        parent = entry.parent
        while parent is not None:
            chain.append(self.position[parent])
            parent = self.entries[chain[-1]].parent
        return tuple(chain)

    def _label_tokens(self) -> dict[str, list[int]]:
        tokens: dict[str, list[int]] = defaultdict(list)
        for i, entry in enumerate(self.entries):
            for token in set(tokenize(f"{entry.label_sv} {entry.label_en}")):
                tokens[token].append(i)
        return dict(tokens)

    def _lexicon(self, lang: Lang) -> frozenset[str]:
        """The words a compound may be split into: the labels' words and their stems, and
        (Swedish) the modifiers the labels' own compounds reveal ("vakt" of "Vakttjänster")."""
        words: set[str] = set()
        for entry in self.entries:
            for token in tokenize(entry.label(lang)):
                words.update((token, _stem(token, lang)))
        known = frozenset(w for w in words if len(w) >= 3 and w not in STOPWORDS)
        if lang != "sv":
            return known
        modifiers = {
            parts[0]
            for word in known
            if (parts := split_compound(word, known, open_modifier=OPEN_MODIFIER))
            and parts[0] not in known
        }
        return known | modifiers

    def terms(self, token: str, lang: Lang) -> dict[str, float]:
        """One word's weighted terms: its stem, and the stems of its compound parts."""
        return _terms(token, lang, self.lexicon[lang])

    def _bm25_postings(self) -> dict[str, list[tuple[int, float]]]:
        tfs: list[dict[str, float]] = []
        for entry in self.entries:
            tf: dict[str, float] = defaultdict(float)
            for lang in LANGS:
                for token in tokenize(entry.label(lang)):
                    for term, weight in self.terms(token, lang).items():
                        tf[f"{lang}:{term}"] += weight
            tfs.append(tf)
        lengths = [sum(tf.values()) for tf in tfs]
        average = sum(lengths) / len(lengths)
        df = Counter(key for tf in tfs for key in tf)
        n = len(tfs)
        postings: dict[str, list[tuple[int, float]]] = defaultdict(list)
        for i, tf in enumerate(tfs):
            norm = K1 * (1 - B + B * lengths[i] / average)
            for key, f in tf.items():
                idf = math.log(1 + (n - df[key] + 0.5) / (df[key] + 0.5))
                postings[key].append((i, idf * f * (K1 + 1) / (f + norm)))
        return dict(postings)

    def item(self, i: int, lang: Lang) -> CodeItem:
        entry = self.entries[i]
        return CodeItem(
            code=entry.code,
            full=entry.full,
            label=entry.label(lang),
            parent=entry.parent,
            level=entry.level,
        )

    def group_of(self, i: int) -> str | None:
        entry = self.entries[i]
        return None if entry.level == "division" else entry.code[:3]


@lru_cache(maxsize=1 << 17)
def _stem(token: str, lang: Lang) -> str:
    """text.stem, cached: building the index stems every label word many times."""
    return snowball_stem(token, lang)


class _Heads:
    """A compound's last part is known when it or its stem is in the lexicon: the head is
    the inflected part ("ordnings-vakter" against the lexicon's "vakt")."""

    def __init__(self, lexicon: frozenset[str], lang: Lang) -> None:
        self.lexicon, self.lang = lexicon, lang

    def __contains__(self, part: object) -> bool:
        return isinstance(part, str) and (
            part in self.lexicon or _stem(part, self.lang) in self.lexicon
        )


@lru_cache(maxsize=65536)
def _terms(token: str, lang: Lang, lexicon: frozenset[str]) -> dict[str, float]:
    whole = _stem(token, lang)
    out = {whole: 1.0}
    if lang != "sv":  # English writes its compounds apart; splitting it finds "infor-mat-ion"
        return out
    heads = _Heads(lexicon, lang)
    parts = split_compound(
        token, lexicon, open_modifier=OPEN_MODIFIER, heads=heads
    ) or split_compound(whole, lexicon, open_modifier=OPEN_MODIFIER, heads=heads)
    for part in parts:
        term = _stem(part, lang)
        if term not in out and part not in STOPWORDS:
            out[term] = PART_WEIGHT
    return out


_BUILDING = threading.Lock()


def index() -> _Index:
    """The index over all 9 454 codes, built on first use and kept for the process.

    Locked because the HTTP handlers run in a thread pool: concurrent first requests wait
    for one build instead of each making its own.
    """
    with _BUILDING:
        return _built()


@cache
def _built() -> _Index:
    return _Index(all_codes())


# -- input checks ---------------------------------------------------------------------


def check_lang(lang: str, field: str = "lang") -> Lang:
    if lang not in LANGS:
        raise InvalidInput(f"{field}: must be 'sv' or 'en', got {lang!r}", field=field)
    return lang


def _parent_code(parent: str | None) -> str | None:
    if parent is None or not parent.strip():
        return None
    try:
        code = normalize_cpv(parent)
    except InvalidCpvCode as exc:
        raise InvalidInput(f"parent: {exc}", field="parent") from None
    if lookup(code) is None:
        raise InvalidInput(f"parent: unknown CPV code {parent!r}", field="parent")
    return code


# -- search ---------------------------------------------------------------------------


def search(
    q: str | None = None,
    parent: str | None = None,
    lang: str = "sv",
    limit: int = 20,
    cursor: str | None = None,
) -> SearchPage:
    """One page of codes: by code prefix, by label words, or the children of `parent`.

    Without `q`: the children of `parent` (the 45 divisions without it), by code. With `q`
    and `parent`: matches anywhere under `parent`. Word matches rank exact words before
    prefixes before compound parts, then shallower codes, shorter labels, and the code.
    """
    language = check_lang(lang)
    if q is not None and len(q) > MAX_QUERY:
        raise InvalidInput(f"q: at most {MAX_QUERY} characters", field="q")
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidInput(f"limit: must be between 1 and {MAX_LIMIT}", field="limit")
    query = (q or "").strip() or None
    under = _parent_code(parent)
    hits = _ranked(query, under, language)
    fingerprint = search_fingerprint(normalize(query) if query else None, under, language)
    start = bisect.bisect_right(hits, read_cursor(cursor, fingerprint)) if cursor else 0
    page = hits[start : start + limit]
    more = start + limit < len(hits)
    return SearchPage(
        items=tuple(index().item(_position(key), language) for key in page),
        next=write_cursor(page[-1], fingerprint) if more and page else None,
    )


def _position(key: Key) -> int:
    return index().position[key[3]]


@lru_cache(maxsize=512)
def _ranked(query: str | None, under: str | None, lang: Lang) -> tuple[Key, ...]:
    """Every hit of a search, sorted by its key; pages are slices of this."""
    if query is None:
        return tuple((0, 0, 0, e.code) for e in children_of(under))
    code_query = _CODE_QUERY.fullmatch(query)
    if code_query is not None:
        return tuple((0, 0, 0, index().codes[i]) for i in _by_prefix(code_query, under))
    return _by_words(query, under, lang)


def _by_prefix(match: re.Match[str], under: str | None) -> list[int]:
    digits, check = match.group(1), match.group(2)
    if check is not None:
        if len(digits) != 8:
            raise InvalidInput(
                "q: a check digit follows all eight digits of a code ('80500000-9')", field="q"
            )
        try:
            normalize_cpv(match.group(0))
        except InvalidCpvCode as exc:
            raise InvalidInput(f"q: {exc}", field="q") from None
    idx = index()
    first = bisect.bisect_left(idx.codes, digits)
    last = bisect.bisect_left(idx.codes, digits + ":")  # ":" sorts right after "9"
    return [i for i in range(first, last) if _is_under(i, under)]


def _is_under(i: int, under: str | None) -> bool:
    if under is None:
        return True
    idx = index()
    return idx.position[under] in idx.ancestors[i]


def _by_words(query: str, under: str | None, lang: Lang) -> tuple[Key, ...]:
    words = list(dict.fromkeys(tokenize(query)))[:MAX_QUERY_WORDS]
    if not words:
        return ()
    quality = dict(_word_levels(words[0]))
    for word in words[1:]:
        levels = _word_levels(word)
        quality = {i: q + levels[i] for i, q in quality.items() if i in levels}
    idx = index()
    keys = [
        (-q, _LEVEL_RANK[idx.entries[i].level], len(idx.entries[i].label(lang)), idx.codes[i])
        for i, q in quality.items()
        if _is_under(i, under)
    ]
    return tuple(sorted(keys))


@lru_cache(maxsize=4096)
def _word_levels(word: str) -> dict[int, int]:
    """For one query word, every code it meets and how well (the best of its label words)."""
    idx = index()
    wanted = frozenset(variants(word)) | {word}
    levels: dict[int, int] = {}
    for token, positions in idx.label_tokens.items():
        level = _token_level(wanted, token, idx.token_variants[token])
        if level:
            for i in positions:
                levels[i] = max(level, levels.get(i, 0))
    return levels


def _token_level(wanted: frozenset[str], token: str, token_variants: frozenset[str]) -> int:
    if wanted & token_variants:
        return EXACT
    if any(token.startswith(w) for w in wanted):
        return PREFIX
    # A word inside a compound, as text.py's compound suffixes find it ("kontorsstädning").
    if any(len(w) >= MIN_PART_MATCH and token.find(w, 2) >= 0 for w in wanted):
        return PART
    return 0


# -- suggest --------------------------------------------------------------------------


def suggest(
    title: str,
    problem: str,
    language: str = "sv",
    limit: int = 10,
    lang: str | None = None,
) -> list[Suggestion]:
    """Codes for a need's text, best first; `language` is the text's, `lang` the labels'."""
    text_lang = check_lang(language, "language")
    label_lang = check_lang(lang or text_lang)
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidInput(f"limit: must be between 1 and {MAX_LIMIT}", field="limit")
    _check_text(title, problem)
    idx = index()
    weights, sources = _query(title, problem, text_lang, idx)
    own, contributions = _own_scores(weights, sources, idx)
    ranked = _rank(own, contributions, idx)
    top = ranked[0][1] if ranked else 1.0
    return [
        Suggestion(
            code=idx.codes[i],
            full=idx.entries[i].full,
            label=idx.entries[i].label(label_lang),
            level=idx.entries[i].level,
            score=round(score / top, 3),
            reason=_reason(contributions[i], label_lang),
        )
        for i, score in ranked[:limit]
    ]


def guess_language(text: str) -> Lang:
    """English when the text has more English than Swedish function words, else Swedish."""
    words = _WORD.findall(normalize(text))
    english = sum(w in ENGLISH_STOPWORDS for w in words)
    swedish = sum(w in SWEDISH_STOPWORDS for w in words)
    return "en" if english > swedish else "sv"


def _check_text(title: str, problem: str) -> None:
    for field, value in (("title", title), ("problem", problem)):
        if len(value) > MAX_TEXT:
            raise InvalidInput(f"{field}: at most {MAX_TEXT} characters", field=field)
    if not (title.strip() or problem.strip()):
        raise InvalidInput("title: title and problem cannot both be empty", field="title")


def _query(
    title: str, problem: str, lang: Lang, idx: _Index
) -> tuple[dict[str, float], dict[str, list[tuple[str, float]]]]:
    """The text's BM25 keys with their weights, and which of its words each key came from."""
    counts = Counter(
        word
        for word in tokenize(title) * TITLE_WEIGHT + tokenize(problem)
        if word not in PROSE_STOPWORDS
    )
    other: Lang = "en" if lang == "sv" else "sv"
    weights: dict[str, float] = defaultdict(float)
    sources: dict[str, list[tuple[str, float]]] = defaultdict(list)
    for word, count in counts.items():
        strength = 1 + math.log(count)
        for field, factor in ((lang, 1.0), (other, OTHER_LANGUAGE)):
            if not factor:
                continue
            for term, weight in idx.terms(word, field).items():
                key = f"{field}:{term}"
                weights[key] += strength * factor * weight
                sources[key].append((word, strength * factor * weight))
    return weights, sources


def _own_scores(
    weights: dict[str, float], sources: dict[str, list[tuple[str, float]]], idx: _Index
) -> tuple[dict[int, float], dict[int, dict[str, float]]]:
    """BM25 of each code's own label, and how much each word of the text added to it."""
    own: dict[int, float] = defaultdict(float)
    contributions: dict[int, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for key, weight in weights.items():
        share = [(word, w / weight) for word, w in sources[key]]
        for i, value in idx.postings.get(key, ()):
            own[i] += weight * value
            for word, fraction in share:
                contributions[i][word] += weight * value * fraction
    return own, contributions


def _rank(
    own: dict[int, float], contributions: dict[int, dict[str, float]], idx: _Index
) -> list[tuple[int, float]]:
    """Own score plus ancestors' and group's shares, by depth; capped per group."""
    context = {i: s + _ancestors_share(i, own, idx) for i, s in own.items()}
    group_score = _group_scores(contributions, idx)
    final = {
        i: LEVEL_FACTOR[idx.entries[i].level] * s
        + GROUP_WEIGHT * group_score.get(idx.group_of(i) or "", 0.0)
        for i, s in context.items()
    }
    return _capped(sorted(final.items(), key=lambda item: (-item[1], idx.codes[item[0]])), idx)


def _ancestors_share(i: int, own: dict[int, float], idx: _Index) -> float:
    """The parent's own score halved, the grandparent's quartered, and so on."""
    return sum(
        ANCESTOR_DECAY ** (depth + 1) * own.get(ancestor, 0.0)
        for depth, ancestor in enumerate(idx.ancestors[i])
    )


def _group_scores(contributions: dict[int, dict[str, float]], idx: _Index) -> dict[str, float]:
    """Per group, each word of the text counted once, at its best code in the group: a
    group met by several of the text's words beats one whose labels repeat a single word."""
    best: dict[str, dict[str, float]] = defaultdict(dict)
    for i, words in contributions.items():
        group = idx.group_of(i)
        if group is None:
            continue
        for word, value in words.items():
            best[group][word] = max(value, best[group].get(word, 0.0))
    return {group: sum(words.values()) for group, words in best.items()}


def _capped(ranked: Iterable[tuple[int, float]], idx: _Index) -> list[tuple[int, float]]:
    """At most PER_GROUP codes of a group (a division counts as its own group)."""
    seen: Counter[str | None] = Counter()
    out = []
    for i, score in ranked:
        group = idx.group_of(i) or idx.codes[i]
        if seen[group] < PER_GROUP:
            seen[group] += 1
            out.append((i, score))
    return out


def _reason(contributions: dict[str, float], lang: Lang) -> str:
    """The (at most three) words of the text that added most to the code's score."""
    words = sorted(contributions, key=lambda w: (-contributions[w], w))[:3]
    quoted = ", ".join(f'"{w}"' for w in words)
    return f"matchar {quoted}" if lang == "sv" else f"matches {quoted}"
