"""Text analysis for relevance ranking (matching), aware of Swedish and English.

Pipeline, on the shared core (`marketplace_contracts.text`): tokens of letters and digits ->
stopwords of the text's language removed -> Snowball stems -> Swedish compounds split into
known parts, emitting the whole word *and* its parts, so that "vårdpersonalsutbildning"
meets "utbildning", "vårdpersonal", "vård" and "personal".

Decompounding is dictionary based: a part must be a known word, from a small built-in list
of common Swedish (public-sector) words, from a caller-supplied vocabulary (the index's own
words), or, as a fallback, from the text's own words. Parts may be joined by the linking
morphemes "s" and "e" ("omsorg-s-personal", "pojk-e-skola"); a modifier may also be a
known word's stem form ("drönar-inspektion" from "drönare").

Documents stored in an index are analyzed against the built-in list and their own words only,
so that a stored analysis is a pure function of the document: an index rebuilt in another
order holds exactly the same terms. Queries are analyzed against the index vocabulary too.
"""

from __future__ import annotations

from collections.abc import Callable, Container, Iterable, MutableMapping, Sequence
from dataclasses import dataclass
from typing import Final

from . import (
    ENGLISH_STOPWORDS,
    LINKING_LETTERS,
    SWEDISH_STOPWORDS,
    Language,
    Stemmer,
    new_stemmer,
    normalize,
    tokenize,
    word_set,
)

__all__ = [
    "COMMON_SWEDISH_WORDS",
    "ENGLISH_RANKING_STOPWORDS",
    "SWEDISH_RANKING_STOPWORDS",
    "Analysis",
    "Analyzer",
    "Split",
    "default_analyzer",
    "detect_language",
    "language_from_hint",
    "stopwords",
]

# A compound's parts: (surface part, its stem), the stem being the term emitted.
Split = tuple[tuple[str, str], ...]

_SWEDISH_LETTERS: Final = frozenset("åäö")
_MAX_COMPOUND: Final = 40

# The function words, plus words that carry no topic in procurement prose: a ranking weighs
# every term, and these would only add noise (search keeps them, see the core's lists).
SWEDISH_RANKING_STOPWORDS: Final[frozenset[str]] = SWEDISH_STOPWORDS | word_set(
    """
    alltså andra annat behov behöver bland blivit dig dock enligt exempel finns få får
    genom går gör göra hela helt idag kommer kunna mer mera många ny nya nytt ofta olika
    redan sätt t.ex vill ännu
    """
)
ENGLISH_RANKING_STOPWORDS: Final[frozenset[str]] = ENGLISH_STOPWORDS | word_set(
    """
    across also e.g etc herself himself itself many may might much must myself need needs
    new ours ourselves per theirs themselves us use used using via within without yours
    yourself yourselves
    """
)

# Common atomic Swedish words (public sector, care, schools, IT, transport, environment):
# the built-in part list for decompounding. Words here are never split themselves.
COMMON_SWEDISH_WORDS: Final[frozenset[str]] = word_set(
    """
    vård omsorg personal utbildning skola skol barn elev elever lärare förskola äldre hem
    tjänst tjänster stöd hjälp digital digitala system plattform portal medborgare
    medborgar invånare kommun region stad land län verksamhet service måltid måltider mat
    kost kök lunch middag frukost snö röjning väg vägar gata gator trafik fordon bil bilar
    buss transport resa resor cykel park energi värme vatten avlopp avfall återvinning
    miljö klimat hållbar hållbarhet inköp upphandling handel handling avtal leverantör
    företag social sociala arbete arbetare integration jämställd jämställdhet kontroll
    uppföljning plats säkerhet trygghet larm sensor sensorer data analys information
    kommunikation app mobil webb tid schema planering bemanning rutt rutter optimering besök
    patient patienter brukare assistans ledsagning ledsagare funktion nedsättning hälsa
    sjuk sjukdom läkemedel rehabilitering träning hjälpmedel bostad bostäder bygg byggnad
    fastighet fastigheter lokal lokaler belysning ljus ventilation städ städning tvätt
    kläder skydd utrustning lön löner lista listor villkor fritid kultur bibliotek idrott
    bad turism näring marknad språk nyanlända virtuell verklighet simulering spel film
    video dokumentation journal signering medicin natt dag dygn vecka månad år kund kunder
    användare medarbetare chef ledning ekonomi budget kostnad kostnader pengar faktura
    betalning beställning leverans lager logistik produkt produkter lösning lösningar
    innovation teknik metod modell process kvalitet risk bedömning krav mervärde uppdrag
    samverkan dialog pilot prototyp test tester studie demens minne ensamhet aktivitet
    aktiviteter rörelse fall olycka boende särskilt anhörig anhöriga familj ungdom
    ungdomar vuxen vuxna skydds arbets fordons vinter halka sand salt plog plogning gång
    trottoar belysnings lampa lampor skötsel grön yta träd odling medel råvaror svinn
    ekologisk sopor insamling sortering kretslopp cirkulär återbruk möbler textil
    kemikalier el sol celler laddning batteri förbrukning mätning mätare avläsning bokning
    kalender kö väntan chatt röst tal text översättning tolk tillgänglighet inkludering
    delaktighet lärande kurs kurser kompetens utveckling organisation samhälle ansvar grupp
    hushåll verktyg skärm glasögon övning scenario bemötande kris brand räddning skog
    jordbruk renovering underhåll reparation drift support licens moln server nätverk
    bredband säker inloggning identitet ärende ärenden handläggning beslut ansökan
    blankett formulär dokument arkiv register statistik prognos rapport rapportering mål
    effekt nytta värde
    """
)

# Bound morphemes and suffixes that look like words but must never count as compound parts.
_NOT_PARTS: Final[frozenset[str]] = word_set(
    """
    het heter ning ningar ing ingar else lig liga ligt isk iska ande ende tion tioner skap
    dom are arna erna orna ern era ade ats ast ens ets ord nde ell ella ism ist
    """
)


_UNUMLAUT: Final = str.maketrans("åäö", "aao")


def _fold(letter: str) -> str:
    return letter.translate(_UNUMLAUT)


def language_from_hint(hint: str | None) -> Language | None:
    """Map a hint ("sv", "sv-SE", "Swedish", "en-GB") to a language; None means detect."""
    if not hint:
        return None
    h = hint.strip().lower()
    if h.startswith(("sv", "swe")):
        return "sv"
    if h.startswith("en"):
        return "en"
    return None


def detect_language(tokens: Sequence[str]) -> Language:
    """Cheap detection: stopword hits per language, plus words with å/ä/ö for Swedish.

    Ties (including no evidence at all) go to Swedish, the marketplace's main language.
    """
    sv = 0
    en = 0
    for t in tokens:
        if t in SWEDISH_RANKING_STOPWORDS or not _SWEDISH_LETTERS.isdisjoint(t):
            sv += 1
        if t in ENGLISH_RANKING_STOPWORDS:
            en += 1
    return "en" if en > sv else "sv"


def stopwords(language: Language) -> frozenset[str]:
    return SWEDISH_RANKING_STOPWORDS if language == "sv" else ENGLISH_RANKING_STOPWORDS


@dataclass(frozen=True, slots=True, eq=False)
class Analysis:
    """The analyzed form of one text."""

    language: Language
    # term -> occurrences; compound parts count like words of their own
    terms: dict[str, int]
    # content words (not parts), for BM25 length normalisation
    length: int
    # term -> a readable form (first surface word or part) for match explanations
    display: dict[str, str]
    # Swedish surface words and their stems: what this text adds to an index's vocabulary
    words: frozenset[str]


class Analyzer:
    """Stateless apart from caches; one instance can serve every index in a process."""

    def __init__(
        self,
        *,
        extra_words: Iterable[str] = (),
        min_part: int = 3,
        cache_size: int = 200_000,
        lemmatize: bool = True,
    ) -> None:
        self._stemmers: dict[Language, Stemmer] = {
            "sv": new_stemmer("sv"),
            "en": new_stemmer("en"),
        }
        self.min_part = min_part
        self._cache_size = cache_size
        self._lemmatize = lemmatize
        self._lemmas: dict[str, str] = {}
        words = {normalize(w) for w in (*COMMON_SWEDISH_WORDS, *extra_words)}
        ordered = sorted(words)
        stems = set(self._stemmers["sv"].stemWords(ordered)) | set(self.stem_words(ordered))
        self._atomic: frozenset[str] = frozenset(words | stems)
        self._builtin: frozenset[str] = frozenset(
            w
            for w in words | stems
            if len(w) >= min_part and w not in SWEDISH_RANKING_STOPWORDS and w not in _NOT_PARTS
        )
        # Splits against the built-in list alone are pure, so they can be cached for good.
        self._builtin_cache: dict[str, Split] = {}
        self._own_cache: dict[tuple[str, tuple[str, ...]], Split] = {}

    @property
    def builtin_words(self) -> frozenset[str]:
        return self._builtin

    def is_known_word(self, word: str) -> bool:
        """A built-in word (or its stem): one that is never split."""
        return word in self._atomic

    def stem(self, word: str, language: Language = "sv") -> str:
        return str(self._stemmers[language].stemWord(word))

    def _stem_sv(self, word: str) -> str:
        return str(self._stemmers["sv"].stemWord(word))

    def stem_words(self, words: Sequence[str], language: Language = "sv") -> list[str]:
        """Snowball stems; Swedish words are first taken to their lemma (simplemma's
        dictionary), which Snowball's suffix rules cannot reach ("böcker" -> "bok",
        "resor" -> "resa")."""
        if language == "sv" and self._lemmatize:
            words = [self._lemma(w) for w in words]
        return list(self._stemmers[language].stemWords(list(words)))

    def _lemma(self, word: str) -> str:
        lemma = self._lemmas.get(word)
        if lemma is None:
            import simplemma

            found = normalize(simplemma.lemmatize(word, lang="sv"))
            # A lemma of another word ("äldre" -> "gammal", "mindre" -> "liten") would cut
            # it off from the compounds it begins ("äldreomsorg"): the word stays as
            # written. Umlaut alone ("böcker" -> "bok") is inflection.
            lemma = found if found and _fold(found[0]) == _fold(word[0]) else word
            if len(self._lemmas) >= self._cache_size:
                self._lemmas.clear()
            self._lemmas[word] = lemma
        return lemma

    # -- decompounding ---------------------------------------------------------------------

    def _knower(self, *lexicons: Container[str]) -> Callable[[str], bool]:
        """A membership test for parts: the built-in list (already free of stopwords and
        suffixes) or any of `lexicons` (checked against both). Closures over locals,
        because this runs for every candidate substring."""
        builtin = self._builtin
        m = self.min_part

        if not lexicons:
            return lambda p: len(p) >= m and p in builtin

        def known(p: str) -> bool:
            if len(p) < m:
                return False
            if p in builtin:
                return True
            if p in _NOT_PARTS or p in SWEDISH_RANKING_STOPWORDS:
                return False
            return any(p in lex for lex in lexicons)

        return known

    def _segment(
        self, word: str, known: Callable[[str], bool], depth: int
    ) -> list[tuple[int, int]] | None:
        """Spans of a split of `word` into >= 2 known parts, longest head first.

        The head (last part) carries the inflection and the meaning, so trying the longest
        known head first follows how Swedish compounds are built (modifier + head).
        """
        n = len(word)
        m = self.min_part
        for i in range(m, n - m + 1):
            head = word[i:]
            if not known(head):
                continue
            mods = [i]
            if word[i - 1] in LINKING_LETTERS and i - 1 >= m:
                mods.append(i - 1)
            for j in mods:
                if known(word[:j]):
                    return [(0, j), (i, n)]
            # A modifier is often a word's stem form ("drönar-" of "drönare").
            for j in mods:
                if j > m and known(self._stem_sv(word[:j])):
                    return [(0, j), (i, n)]
            if depth < 3:
                for j in mods:
                    sub = self._segment(word[:j], known, depth + 1)
                    if sub is not None:
                        return [*sub, (i, n)]
        return None

    def _atoms(
        self, word: str, known: Callable[[str], bool], start: int, depth: int
    ) -> list[tuple[int, int]]:
        """Split recursively until no part splits further: the finest known segmentation."""
        atomic = depth > 0 and word in self._atomic  # "måltid" is a word, not "mål"+"tid"
        spans = None if atomic or depth >= 3 else self._segment(word, known, 0)
        if spans is None:
            return [(start, start + len(word))]
        out: list[tuple[int, int]] = []
        for a, b in spans:
            out.extend(self._atoms(word[a:b], known, start + a, depth + 1))
        return out

    def _parts(self, word: str, known: Callable[[str], bool]) -> tuple[str, ...]:
        # Longer "words" are codes, URLs or run-together junk: not worth the search.
        if not 2 * self.min_part <= len(word) <= _MAX_COMPOUND:
            return ()
        atoms = self._atoms(word, known, 0, 0)
        if len(atoms) < 2:
            return ()
        parts: list[str] = [word[a:b] for a, b in atoms]
        # Runs of adjacent atoms ("vård"+"personal" -> "vårdpersonal") are sub-compounds in
        # their own right, so every level of the compound can be met by a shorter word.
        for x in range(len(atoms)):
            for y in range(x + 1, len(atoms)):
                if not (x == 0 and y == len(atoms) - 1):
                    parts.append(word[atoms[x][0] : atoms[y][1]])
        return tuple(dict.fromkeys(parts))

    def split_compound(
        self,
        word: str,
        vocabulary: Container[str] | None = None,
        own_words: Container[str] | None = None,
    ) -> tuple[str, ...]:
        """Known parts of a Swedish word (surface substrings), or () if it is not a compound.

        Parts come from the built-in list and `vocabulary`; only if those find no split,
        words of `own_words` that begin or end the word are tried too.
        """
        return tuple(p for p, _ in self._split(normalize(word), vocabulary, own_words, None))

    def _split(
        self,
        word: str,
        vocabulary: Container[str] | None,
        own_words: Container[str] | None,
        cache: MutableMapping[str, Split] | None,
    ) -> Split:
        if word in self._atomic:
            return ()
        if vocabulary is None:
            store: MutableMapping[str, Split] = self._builtin_cache
        else:
            store = cache if cache is not None else {}
        parts = store.get(word)
        if parts is None:
            known = self._knower() if vocabulary is None else self._knower(vocabulary)
            parts = self._stemmed(self._parts(word, known))
            if len(store) >= self._cache_size:
                store.clear()
            store[word] = parts
        if parts or not own_words:
            return parts
        # Only own words that begin or end the word may help: that keeps the result a pure
        # function of (word, those words), hence cacheable, and the search rare.
        touching = self._touching(word, own_words)
        if not touching:
            return ()
        key = (word, touching)
        hit = self._own_cache.get(key) if vocabulary is None else None
        if hit is not None:
            return hit
        lexicons = (frozenset(touching),) if vocabulary is None else (vocabulary, touching)
        parts = self._stemmed(self._parts(word, self._knower(*lexicons)))
        if vocabulary is None:
            if len(self._own_cache) >= self._cache_size:
                self._own_cache.clear()
            self._own_cache[key] = parts
        return parts

    def _stemmed(self, parts: tuple[str, ...]) -> Split:
        if not parts:
            return ()
        return tuple(zip(parts, self.stem_words(parts, "sv"), strict=True))

    def _touching(self, word: str, words: Container[str]) -> tuple[str, ...]:
        """Words of `words` that are a proper prefix or suffix of `word`."""
        m = self.min_part
        found: list[str] = []
        for i in range(m, len(word) - m + 1):
            head, mod = word[i:], word[:i]
            if head in words:
                found.append(head)
            if mod in words:
                found.append(mod)
        return tuple(sorted(set(found)))

    # -- analysis --------------------------------------------------------------------------

    def analyze(
        self,
        text: str,
        language: str | None = None,
        *,
        vocabulary: Container[str] | None = None,
        cache: MutableMapping[str, Split] | None = None,
        decompound: bool = True,
    ) -> Analysis:
        """Terms of `text`: stems of content words plus stems of Swedish compound parts.

        `language` is a hint ("sv", "en", "sv-SE"); without one the language is detected.
        `vocabulary` extends the part list (an index passes its own words for queries).
        """
        tokens = tokenize(text)
        lang = language_from_hint(language) or detect_language(tokens)
        stop = stopwords(lang)
        content = [t for t in tokens if t not in stop]
        stems = self.stem_words(content, lang)
        terms: dict[str, int] = {}
        display: dict[str, str] = {}
        for surface, term in zip(content, stems, strict=True):
            terms[term] = terms.get(term, 0) + 1
            display.setdefault(term, surface)
        words: frozenset[str] = frozenset()
        if lang == "sv":
            words = frozenset(content) | frozenset(stems)
            if decompound:
                self._add_parts(
                    content=content,
                    stems=stems,
                    own=words,
                    vocabulary=vocabulary,
                    cache=cache,
                    terms=terms,
                    display=display,
                )
        return Analysis(lang, terms, len(content), display, words)

    def _add_parts(
        self,
        *,
        content: list[str],
        stems: list[str],
        own: frozenset[str],
        vocabulary: Container[str] | None,
        cache: MutableMapping[str, Split] | None,
        terms: dict[str, int],
        display: dict[str, str],
    ) -> None:
        long_enough = 2 * self.min_part
        seen: dict[tuple[str, str], int] = {}
        for pair in zip(content, stems, strict=True):
            if len(pair[0]) >= long_enough:
                seen[pair] = seen.get(pair, 0) + 1
        for (surface, term), count in seen.items():
            # Split the stem first, so that the head loses its inflection ("...utbildningen");
            # the surface word is the fallback when stemming cut into the head ("matsvinn").
            parts = self._split(term, vocabulary, own, cache)
            if not parts and surface != term:
                parts = self._split(surface, vocabulary, own, cache)
            for part, part_term in parts:
                if part_term == term:
                    continue
                terms[part_term] = terms.get(part_term, 0) + count
                display.setdefault(part_term, part)

    def terms_of(self, text: str, language: str | None = None) -> frozenset[str]:
        """Just the term set: for keywords and tests."""
        return frozenset(self.analyze(text, language).terms)


_DEFAULT: Analyzer | None = None


def default_analyzer() -> Analyzer:
    """A process-wide analyzer, built on first use (its stemmers and word list are shared)."""
    global _DEFAULT  # noqa: PLW0603 - one lazily built, immutable-configuration singleton
    if _DEFAULT is None:
        _DEFAULT = Analyzer()
    return _DEFAULT
