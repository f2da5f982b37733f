"""Does a need fit a supplier's subscription? Every given criterion must hold; an empty
criterion holds for any need. The answer carries one reason per criterion, for the alert.

* cpv_prefixes: some need code starts with one of the prefixes ("805", or "80500000"
  meaning its significant prefix "805");
* regions: the need's municipality, its county, or "SE" is listed;
* keywords: one keyword occurs in the need's analyzed text (title and problem), stemmed
  and decompounded, so "utbildning" is found in "vårdpersonalsutbildningen"; a keyword of
  several words needs all of them;
* phases: the need's phase is listed. A withdrawn need fits no subscription unless its
  phases name "withdrawn" explicitly: alerts are for needs one can still answer.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from marketplace_contracts.process import WITHDRAWN
from marketplace_contracts.reference.regions import COUNTRY_CODE, county_of
from marketplace_contracts.text import normalize, tokenize
from marketplace_contracts.text.ranking import Analysis, Analyzer, default_analyzer

from .model import NeedProfile, Reason, SubscriptionProfile, place_name
from .scoring import cpv_label


@dataclass(frozen=True, slots=True, eq=False)
class NeedText:
    """A need's text analyzed once, to be checked against many subscriptions."""

    need: NeedProfile
    analysis: Analysis
    # normalized content words of the need (surface forms), where keyword parts are sought
    tokens: frozenset[str]


def need_text(need: NeedProfile, analyzer: Analyzer | None = None) -> NeedText:
    a = analyzer or default_analyzer()
    analysis = a.analyze(need.text, need.language)
    return NeedText(need, analysis, frozenset(tokenize(need.text)))


def keyword_found(keyword: str, text: NeedText, analyzer: Analyzer | None = None) -> str | None:
    """Where `keyword` occurs in the need (a need word containing it), or None.

    Each word of the keyword must be a term of the need (Swedish or English stem), or a
    compound part of one of the need's words when that word is split with the keyword
    itself as a known part: a pure check per (need, keyword), independent of any index.
    """
    a = analyzer or default_analyzer()
    words = tokenize(keyword)
    if not words:
        return None
    terms = text.analysis.terms
    where: list[str] = []
    for w in words:
        stems = {a.stem(w, "sv"), a.stem(w, "en"), w}
        hit = next((s for s in stems if s in terms), None)
        if hit is not None:
            where.append(text.analysis.display.get(hit, w))
            continue
        found = _in_compound(w, stems, text, a)
        if found is None:
            return None
        where.append(found)
    return " ".join(where)


def _in_compound(word: str, stems: set[str], text: NeedText, a: Analyzer) -> str | None:
    lexicon = {word, *stems}
    for token in sorted(text.tokens):
        if len(token) < len(word) + a.min_part or not any(s in token for s in lexicon):
            continue
        stem = a.stem(token, "sv")
        parts = a.split_compound(token, vocabulary=lexicon) or a.split_compound(
            stem, vocabulary=lexicon
        )
        if (set(a.stem_words(parts, "sv")) | set(parts)) & lexicon:
            return token
        # Swedish compounds are right-headed: a word ending in the keyword is a kind of it
        # ("drönarinspektion" is an inspektion), even when its modifier is no known word.
        if _is_head(stem, stems, a):
            return token
    return None


def _is_head(stem: str, keyword_stems: set[str], a: Analyzer) -> bool:
    if a.is_known_word(stem):
        return False  # "måltid" is a word of its own, not a kind of "tid"
    for k in keyword_stems:
        rest = len(stem) - len(k)
        if len(k) >= 4 and rest >= a.min_part and stem.endswith(k):
            return True
    return False


def subscription_fits(
    need: NeedProfile,
    subscription: SubscriptionProfile,
    *,
    text: NeedText | None = None,
    analyzer: Analyzer | None = None,
) -> tuple[Reason, ...] | None:
    """The reasons the need fits the subscription, or None if a criterion fails."""
    sub = subscription
    reasons: list[Reason] = []
    if sub.phases:
        if need.phase not in sub.phases:
            return None
        reasons.append(
            Reason(
                "phase", 1.0, f"phase {need.phase}", "subscription.phase", (("phase", need.phase),)
            )
        )
    elif need.phase == WITHDRAWN:
        return None
    if sub.cpv_prefixes:
        hit = _cpv_hit(need.cpv_codes, sub.cpv_prefixes)
        if hit is None:
            return None
        code, prefix = hit
        label = cpv_label(prefix)
        detail = f"CPV {code} under {prefix}" + (f" ({label})" if label else "")
        reasons.append(
            Reason("cpv", 1.0, detail, "subscription.cpv", (("code", code), ("prefix", prefix)))
        )
    if sub.regions:
        region = _region_hit(need.municipality_code, sub.regions)
        if region is None:
            return None
        reasons.append(
            Reason("region", 1.0, region[0], "subscription.region", (("place", region[1]),))
        )
    if sub.keywords:
        t = text if text is not None and text.need is need else need_text(need, analyzer)
        found = []
        for kw in sub.keywords:
            where = keyword_found(kw, t, analyzer)
            if where is not None:
                shown = normalize(kw)
                found.append(shown if where == shown else f"{shown} (in {where})")
        if not found:
            return None
        reasons.append(
            Reason(
                "keyword",
                1.0,
                "keywords: " + ", ".join(found),
                "subscription.keywords",
                (("keywords", tuple(found)),),
            )
        )
    if not reasons:
        reasons.append(Reason("subscription", 1.0, "no criteria: every need", "subscription.all"))
    return tuple(reasons)


def _cpv_hit(codes: Iterable[str], prefixes: Iterable[str]) -> tuple[str, str] | None:
    # Longest prefix first, so the reason names the most specific criterion that held.
    for prefix in sorted(prefixes, key=lambda p: (-len(p), p)):
        for code in codes:
            if code.startswith(prefix):
                return code, prefix
    return None


def _region_hit(location: str, regions: Iterable[str]) -> tuple[str, str] | None:
    """(the English detail, the place the need is in) when a listed region holds it."""
    listed = set(regions)
    if location in listed:
        if location == COUNTRY_CODE:
            return "region: all of Sweden", location
        return f"region: {place_name(location)}", location
    county = county_of(location)
    if len(location) == 4 and county in listed:
        return f"region: {place_name(location)} in {place_name(county)}", location
    if COUNTRY_CODE in listed:
        return "region: all of Sweden", location
    return None


def matching_subscriptions(
    need: NeedProfile,
    subscriptions: Iterable[SubscriptionProfile],
    *,
    analyzer: Analyzer | None = None,
) -> list[tuple[SubscriptionProfile, tuple[Reason, ...]]]:
    """Every subscription the need fits, with reasons, in subscription id order. The need's
    text is analyzed once, and only when some subscription has keywords."""
    text: NeedText | None = None
    out: list[tuple[SubscriptionProfile, tuple[Reason, ...]]] = []
    for sub in sorted(subscriptions, key=lambda s: s.subscription_id):
        if sub.keywords and text is None:
            text = need_text(need, analyzer)
        reasons = subscription_fits(need, sub, text=text, analyzer=analyzer)
        if reasons is not None:
            out.append((sub, reasons))
    return out


class SubscriptionIndex:
    """The subscriptions held, found for a need by CPV prefix instead of by a scan.

    A subscription with CPV prefixes can only fit a need that has a code under one of
    them, so a need's candidates are the subscriptions filed under a prefix of one of its
    codes, plus those without CPV criteria; each candidate is then judged in full by
    `subscription_fits`. The result equals `matching_subscriptions` over all of them.
    """

    def __init__(self) -> None:
        self._subs: dict[str, SubscriptionProfile] = {}
        self._by_prefix: dict[str, set[str]] = {}
        self._without_cpv: set[str] = set()

    def __len__(self) -> int:
        return len(self._subs)

    def get(self, subscription_id: str) -> SubscriptionProfile | None:
        return self._subs.get(subscription_id)

    def values(self) -> list[SubscriptionProfile]:
        return list(self._subs.values())

    def upsert(self, sub: SubscriptionProfile) -> None:
        self.remove(sub.subscription_id)
        self._subs[sub.subscription_id] = sub
        if not sub.cpv_prefixes:
            self._without_cpv.add(sub.subscription_id)
        for prefix in sub.cpv_prefixes:
            self._by_prefix.setdefault(prefix, set()).add(sub.subscription_id)

    def remove(self, subscription_id: str) -> None:
        old = self._subs.pop(subscription_id, None)
        if old is None:
            return
        self._without_cpv.discard(subscription_id)
        for prefix in old.cpv_prefixes:
            filed = self._by_prefix.get(prefix)
            if filed is not None:
                filed.discard(subscription_id)
                if not filed:
                    del self._by_prefix[prefix]

    def candidates(self, need: NeedProfile) -> list[SubscriptionProfile]:
        ids = set(self._without_cpv)
        for code in need.cpv_codes:
            for length in range(1, len(code) + 1):
                filed = self._by_prefix.get(code[:length])
                if filed:
                    ids |= filed
        return [self._subs[i] for i in ids]

    def matching(
        self, need: NeedProfile, *, analyzer: Analyzer | None = None
    ) -> list[tuple[SubscriptionProfile, tuple[Reason, ...]]]:
        return matching_subscriptions(need, self.candidates(need), analyzer=analyzer)
