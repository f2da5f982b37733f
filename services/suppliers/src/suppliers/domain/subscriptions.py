"""Subscriptions: what needs a supplier wants to hear about (pure rules, no I/O)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Any, get_args

from marketplace_contracts.events import Phase
from marketplace_contracts.reference import InvalidCpvCode, significant_prefix

from .catalogue import LIST_MAX, normalize_regions
from .errors import RuleViolation

PHASES: tuple[str, ...] = get_args(Phase)
_PREFIX_RE = re.compile(r"\d{2,7}")
KEYWORD_MAX = 100


def normalize_cpv_prefix(value: str, field_name: str) -> str:
    """ "805" stays "805"; a full code ("80500000" or "80500000-9") becomes its prefix."""
    raw = value.strip()
    if _PREFIX_RE.fullmatch(raw):
        return raw
    try:
        return significant_prefix(raw)
    except InvalidCpvCode:
        raise RuleViolation(
            field_name,
            f"{value!r} is not a CPV prefix: two to seven digits (e.g. '805') or a full "
            "CPV code (e.g. '80500000-9')",
        ) from None


def criteria(
    *,
    cpv_prefixes: list[str] | None = None,
    regions: list[str] | None = None,
    keywords: list[str] | None = None,
    phases: list[str] | None = None,
) -> dict[str, list[str]]:
    """Validated, normalised criteria; at least one criterion must be given."""
    cpv_prefixes, regions = cpv_prefixes or [], regions or []
    keywords, phases = keywords or [], phases or []
    for name, values in (
        ("cpv_prefixes", cpv_prefixes),
        ("regions", regions),
        ("keywords", keywords),
        ("phases", phases),
    ):
        if len(values) > LIST_MAX:
            raise RuleViolation(name, f"may hold at most {LIST_MAX} entries")
    if not (cpv_prefixes or regions or keywords or phases):
        raise RuleViolation(
            "cpv_prefixes",
            "a subscription needs at least one criterion: "
            "cpv_prefixes, regions, keywords or phases",
        )
    prefixes = list(
        dict.fromkeys(
            normalize_cpv_prefix(v, f"cpv_prefixes.{i}") for i, v in enumerate(cpv_prefixes)
        )
    )
    clean_regions = normalize_regions(regions, minimum=0) if regions else []
    words: dict[str, str] = {}
    for i, value in enumerate(keywords):
        word = " ".join(value.split())
        if not word:
            raise RuleViolation(f"keywords.{i}", "must not be empty")
        if len(word) > KEYWORD_MAX:
            raise RuleViolation(f"keywords.{i}", f"must be at most {KEYWORD_MAX} characters")
        words.setdefault(word.casefold(), word)
    for i, phase in enumerate(phases):
        if phase not in PHASES:
            raise RuleViolation(f"phases.{i}", f"must be one of {', '.join(PHASES)}")
    return {
        "cpv_prefixes": prefixes,
        "regions": clean_regions,
        "keywords": list(words.values()),
        "phases": list(dict.fromkeys(phases)),
    }


@dataclass(frozen=True)
class Subscription:
    subscription_id: str
    supplier_org: str
    cpv_prefixes: list[str] = field(default_factory=list)
    regions: list[str] = field(default_factory=list)
    keywords: list[str] = field(default_factory=list)
    phases: list[str] = field(default_factory=list)
    version: int = 1
    status: str = "active"

    def public_state(self) -> dict[str, Any]:
        return {
            "subscription_id": self.subscription_id,
            "version": self.version,
            "supplier_org": self.supplier_org,
            "cpv_prefixes": list(self.cpv_prefixes),
            "regions": list(self.regions),
            "keywords": list(self.keywords),
            "phases": list(self.phases),
        }


def subscribe(subscription_id: str, supplier_org: str, **given: list[str] | None) -> Subscription:
    clean = criteria(**given)
    return Subscription(
        subscription_id=subscription_id,
        supplier_org=supplier_org,
        cpv_prefixes=clean["cpv_prefixes"],
        regions=clean["regions"],
        keywords=clean["keywords"],
        phases=clean["phases"],
    )


def delete(subscription: Subscription) -> Subscription:
    return replace(subscription, status="deleted", version=subscription.version + 1)
