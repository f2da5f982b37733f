"""A Swedish-English term mapping learned from parallel text, for matching across languages.

Every CPV code has a Swedish and an English label: 9 454 short parallel texts of the
vocabulary procurement speaks ("Välfärdstjänster för äldre" / "Welfare services for the
elderly"). A small glossary (`glossary_sv_en.tsv`) adds the words of municipal welfare,
schools and administration that the labels lack ("ledsagning" / "escort"). Both are read as
pairs of analysed term lists, and IBM Model 1 (expectation maximisation of word translation
probabilities, with an empty word for what has no counterpart) is trained in each
direction. A pair of terms is kept when both directions agree, with strength
sqrt(p(en | sv) * p(sv | en)): a word that aligns with many ("tjänst" / "service") or only
by accident in one direction drops out.

The mapping is a pure function of those texts and the analyser: the same on every start.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from typing import Final

from . import Language
from .ranking import Analyzer, default_analyzer

__all__ = ["BilingualLexicon", "Bridge", "default_lexicon", "glossary_pairs"]

GLOSSARY: Final = "glossary_sv_en.tsv"
# A glossary line is a deliberate translation, a label pair only a context: it counts as
# this many label pairs.
GLOSSARY_WEIGHT: Final = 3
ITERATIONS: Final = 8
MIN_STRENGTH: Final = 0.3
PER_TERM: Final = 3


@dataclass(frozen=True, slots=True)
class Bridge:
    """A term of the other language that a term translates to."""

    term: str
    strength: float  # in (0, 1]
    display: str  # a readable form of `term` (the word it was seen as)


class BilingualLexicon:
    def __init__(self, bridges: Mapping[Language, Mapping[str, tuple[Bridge, ...]]]) -> None:
        self._bridges = {lang: dict(m) for lang, m in bridges.items()}

    def bridges(self, term: str, language: Language) -> tuple[Bridge, ...]:
        """What a term of `language` translates to in the other language, strongest first."""
        return self._bridges.get(language, {}).get(term, ())

    def __len__(self) -> int:
        return sum(len(m) for m in self._bridges.values())

    @classmethod
    def learn(
        cls,
        pairs: Iterable[tuple[str, str]],
        analyzer: Analyzer | None = None,
        *,
        iterations: int = ITERATIONS,
        min_strength: float = MIN_STRENGTH,
        per_term: int = PER_TERM,
    ) -> BilingualLexicon:
        """Learn from (Swedish, English) text pairs."""
        a = analyzer or default_analyzer()
        aligned: list[tuple[list[str], list[str]]] = []
        display: dict[Language, dict[str, str]] = {"sv": {}, "en": {}}
        for sv_text, en_text in pairs:
            sv = a.analyze(sv_text, "sv")
            en = a.analyze(en_text, "en")
            if sv.terms and en.terms:
                aligned.append((list(sv.terms), list(en.terms)))
                for lang, analysis in (("sv", sv), ("en", en)):
                    for term, surface in analysis.display.items():
                        display[lang].setdefault(term, surface)  # type: ignore[index]
        sv_to_en = _model1(aligned, iterations)
        en_to_sv = _model1([(e, s) for s, e in aligned], iterations)
        found: dict[Language, defaultdict[str, list[Bridge]]] = {
            "sv": defaultdict(list),
            "en": defaultdict(list),
        }
        for sv_term, targets in sv_to_en.items():
            for en_term, p_forward in targets.items():
                p_back = en_to_sv.get(en_term, {}).get(sv_term, 0.0)
                strength = math.sqrt(p_forward * p_back)
                if strength >= min_strength:
                    found["sv"][sv_term].append(Bridge(en_term, strength, display["en"][en_term]))
                    found["en"][en_term].append(Bridge(sv_term, strength, display["sv"][sv_term]))
        return cls(
            {
                lang: {
                    term: tuple(sorted(bs, key=lambda b: (-b.strength, b.term))[:per_term])
                    for term, bs in by_term.items()
                }
                for lang, by_term in found.items()
            }
        )


def _model1(
    pairs: Sequence[tuple[list[str], list[str]]], iterations: int
) -> dict[str, dict[str, float]]:
    """p(target | source) by IBM Model 1, with None as the empty source word."""
    prob: dict[str | None, dict[str, float]] = defaultdict(dict)
    for source, target in pairs:
        for s in (*source, None):
            for t in target:
                prob[s][t] = 1.0
    for _ in range(iterations):
        counts: dict[str | None, dict[str, float]] = defaultdict(lambda: defaultdict(float))
        totals: dict[str | None, float] = defaultdict(float)
        for source, target in pairs:
            sources = (*source, None)
            for t in target:
                z = sum(prob[s][t] for s in sources)
                for s in sources:
                    share = prob[s][t] / z
                    counts[s][t] += share
                    totals[s] += share
        prob = defaultdict(
            dict, {s: {t: c / totals[s] for t, c in ts.items()} for s, ts in counts.items()}
        )
    return {s: ts for s, ts in prob.items() if s is not None}


def glossary_pairs() -> list[tuple[str, str]]:
    text = files(__package__).joinpath(GLOSSARY).read_text(encoding="utf-8")
    pairs: list[tuple[str, str]] = []
    for line in text.splitlines():
        if line.strip() and not line.startswith("#"):
            sv, en = line.split("\t")
            pairs.append((sv.strip(), en.strip()))
    return pairs


@cache
def default_lexicon() -> BilingualLexicon:
    """Learned once per process from every CPV label pair and the glossary (about 2 s)."""
    from marketplace_contracts.reference.cpv import all_codes

    # The glossary first: a term's readable form is the first word it was seen as.
    pairs = glossary_pairs() * GLOSSARY_WEIGHT
    pairs += [(c.label_sv, c.label_en) for c in all_codes()]
    return BilingualLexicon.learn(pairs)
