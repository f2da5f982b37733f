"""The plan of a scale size, its organisations and the shapes of what gets seeded.

A `Plan` names a size (the number of needs); solutions, subscriptions and inbox entries
follow in the proportion of the national volumes (100 000 needs : 50 000 solutions :
10 000 subscriptions : 1 000 000 inbox entries on each side). Buyers are the 290
municipalities and 21 regions (larger places publish more), suppliers a few thousand
companies at the national size (a few big ones, a long tail). Every CPV code is one of
`marketplace_contracts.reference.all_codes()` (`real_cpv`).

Also the records `bench.scale_data.Marketplace` yields (seeded solutions, subscriptions,
needs and the inbox entries they caused) and the matching service's view of the domain
objects. Nothing here does I/O.
"""

from __future__ import annotations

import functools
import random
import re
import unicodedata
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from marketplace_contracts import events as ev
from marketplace_contracts.reference import (
    all_codes,
    all_counties,
    all_municipalities,
    municipalities_in,
)

SOLUTIONS_PER_NEED = 0.5
SUBSCRIPTIONS_PER_NEED = 0.1
INBOX_ENTRIES_PER_NEED = 10  # on each side
SOLUTIONS_PER_SUPPLIER = 15  # 50 000 solutions from about 3 300 suppliers
COMPANY_FORMS = ("AB", "AB", "AB", "Sverige AB", "Nordic AB", "HB", "Oy", "AS")


@dataclass(frozen=True)
class Plan:
    needs: int

    @property
    def solutions(self) -> int:
        return round(self.needs * SOLUTIONS_PER_NEED)

    @property
    def subscriptions(self) -> int:
        return round(self.needs * SUBSCRIPTIONS_PER_NEED)

    @property
    def inbox_per_side(self) -> int:
        return self.needs * INBOX_ENTRIES_PER_NEED

    @property
    def suppliers(self) -> int:
        return max(20, self.solutions // SOLUTIONS_PER_SUPPLIER)

    def counts(self) -> dict[str, int]:
        return {
            "needs": self.needs,
            "solutions": self.solutions,
            "subscriptions": self.subscriptions,
            "inbox_per_side": self.inbox_per_side,
            "suppliers": self.suppliers,
        }


# --- organisations ---------------------------------------------------------------------


def slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")


@dataclass(frozen=True)
class Buyer:
    org: str
    places: tuple[str, ...]  # the municipality codes its needs are about
    home: str  # its own municipality code (the token's claim, a co-signature's place)
    weight: float


def buyers() -> list[Buyer]:
    """The 290 municipalities and 21 regions; a place publishes in proportion to the
    square root of its population (Stockholm more than Bjurholm, not 1 000 times more)."""
    out = [
        Buyer(f"{slug(m.name)}-kommun", (m.code,), m.code, m.population**0.5)
        for m in all_municipalities()
    ]
    for county in all_counties():
        places = tuple(m.code for m in municipalities_in(county.code))
        seat = max(municipalities_in(county.code), key=lambda m: m.population)
        weight = county.population**0.5 / 2
        out.append(Buyer(f"region-{slug(county.short_name)}", places, seat.code, weight))
    return out


@dataclass(frozen=True)
class Supplier:
    org: str
    name: str
    organisation_number: str
    county: str
    weight: float


def organisation_number(rng: random.Random) -> str:
    """A Swedish organisation number (55xxxx-xxxx, a company) with a valid Luhn digit."""
    digits = "55" + "".join(str(rng.randrange(10)) for _ in range(7))
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch) * (2 if i % 2 == 0 else 1)
        total += d - 9 if d > 9 else d
    check = (10 - total % 10) % 10
    return f"{digits[:6]}-{digits[6:]}{check}"


def suppliers(rng: random.Random, count: int) -> list[Supplier]:
    from bench.bench_matching import _name

    counties = [c.code for c in all_counties()]
    out = []
    for i in range(count):
        name = f"{_name(rng)} {rng.choice(COMPANY_FORMS)}"
        out.append(
            Supplier(
                org=f"{slug(name)}-{i}",
                name=name,
                organisation_number=organisation_number(rng),
                county=rng.choice(counties),
                weight=1.0 / (i + 1) ** 0.7,  # a few large suppliers, a long tail
            )
        )
    return out


# --- reference data --------------------------------------------------------------------


@functools.cache
def _codes_under() -> dict[str, tuple[str, ...]]:
    """Every CPV 2008 code under each prefix of two to five digits."""
    under: dict[str, list[str]] = defaultdict(list)
    for entry in all_codes():
        for n in range(2, 6):
            under[entry.code[:n]].append(entry.code)
    return {prefix: tuple(codes) for prefix, codes in under.items()}


def real_cpv(code: str, rng: random.Random) -> str:
    """A code of the vocabulary near a corpus code: one under its longest known prefix."""
    under = _codes_under()
    for n in range(5, 1, -1):
        options = under.get(code[:n])
        if options:
            return rng.choice(options)
    return rng.choice(all_codes()).code


def spread(rng: random.Random, start: datetime, end: datetime) -> datetime:
    return start + (end - start) * rng.random()


def new_id(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


# --- what the marketplace holds ----------------------------------------------------------


@dataclass
class SeededSolution:
    solution: Any  # suppliers.domain.catalogue.Solution
    created_at: datetime
    updated_at: datetime
    writes: int = 1  # how many stored writes its history made (the document's rev)


@dataclass
class SeededSubscription:
    subscription: Any  # suppliers.domain.subscriptions.Subscription
    created_at: datetime
    updated_at: datetime
    writes: int = 1


@dataclass
class Opportunity:
    at: datetime
    payload: ev.ScalingOpportunity


@dataclass
class NeedRecord:
    """One need as stored, and what its publication put in the inboxes."""

    need: Any  # needs.domain.model.Need, commands applied, events pending
    writes: int
    published_at: datetime | None
    matches: list[ev.MatchFound] = field(default_factory=list)
    alerts: list[ev.AlertRaised] = field(default_factory=list)
    opportunities: list[Opportunity] = field(default_factory=list)
    top_solution: str | None = None  # the best match: what an implementation picks


# --- the matching service's view of the domain objects -----------------------------------


def need_profile(need: Any) -> Any:
    from matching.domain.model import NeedProfile

    return NeedProfile(
        need_id=need.id,
        buyer_org=need.buyer_org,
        title=need.title,
        problem=need.problem,
        cpv_codes=tuple(need.cpv_codes),
        municipality_code=need.municipality_code,
        phase=need.phase,
        tags=frozenset(need.tags),
        language=need.language,
        version=need.version,
    )


def solution_profile(solution: Any) -> Any:
    from matching.domain.model import SolutionProfile

    return SolutionProfile(
        solution_id=solution.solution_id,
        supplier_org=solution.supplier_org,
        name=solution.name,
        description=solution.description,
        cpv_codes=tuple(solution.cpv_codes),
        regions=tuple(solution.regions),
        maturity=solution.maturity,
        tags=frozenset(solution.tags),
        adoption_count=solution.adoption_count,
        language=solution.languages[0] if solution.languages else None,
        version=solution.version,
    )


def subscription_profile(subscription: Any) -> Any:
    from matching.domain.model import SubscriptionProfile

    return SubscriptionProfile(
        subscription_id=subscription.subscription_id,
        supplier_org=subscription.supplier_org,
        cpv_prefixes=tuple(subscription.cpv_prefixes),
        regions=tuple(subscription.regions),
        keywords=tuple(subscription.keywords),
        phases=frozenset(subscription.phases),
        version=subscription.version,
    )
