"""Value objects of the matching domain: what matching knows about needs, solutions and
subscriptions, and what it produces (matches with reasons, scaling opportunities).

Profiles normalize their own input (CPV check digits, region spelling, tag case) so that
every scorer downstream can compare plain strings.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Final, get_args

from marketplace_contracts.events import Maturity, Phase
from marketplace_contracts.reference.cpv import normalize_cpv, normalize_prefix
from marketplace_contracts.reference.regions import (
    COUNTRY_CODE,
    UnknownRegion,
    canonical_regions,
    parse_region,
)

# The events' spellings, as tuples: PHASES includes "withdrawn".
PHASES: Final[tuple[Phase, ...]] = get_args(Phase)
MATURITIES: Final[tuple[Maturity, ...]] = get_args(Maturity)


def normalize_cpv_prefix(prefix: str) -> str:
    """A subscription's prefix: digits taken literally, a full code as its significant prefix
    ("80500000-9" -> "805", see `normalize_prefix`), so that "80500000" means "anything under
    group 805". It must name at least a division (two digits)."""
    p = normalize_prefix(prefix)
    if len(p) < 2:
        raise ValueError(f"CPV prefix must name at least a division (two digits): {prefix!r}")
    return p


def region_codes(region: str) -> tuple[str, ...]:
    """ "SE", a two-digit county ("17") or a four-digit municipality ("1780") as given; a NUTS
    code as the counties it is ("SE311" -> "17", "SE31" -> "17", "20", "21")."""
    r = region.strip()
    if r.upper() == COUNTRY_CODE:
        return (COUNTRY_CODE,)
    if r.isdigit() and len(r) in (2, 4):
        return (r,)
    try:
        return canonical_regions(r)
    except UnknownRegion:
        raise ValueError(
            f"region must be 'SE', a 2-digit county, a 4-digit municipality or a NUTS code of "
            f"Sweden: {region!r}"
        ) from None


def normalize_region(region: str) -> str:
    """One place (a buyer's location): as region_codes, but a NUTS-1/2 area is refused."""
    codes = region_codes(region)
    if len(codes) != 1:
        raise ValueError(f"a location is one municipality, county or 'SE', not {region!r}")
    return codes[0]


def _regions(regions: Iterable[str]) -> tuple[str, ...]:
    return tuple(sorted({code for r in regions for code in region_codes(r)}))


def place_name(code: str) -> str:
    """ "Karlstad" for "1780", "Värmlands län" for "17", "Sverige" for "SE"; else the code."""
    try:
        return parse_region(code).name
    except UnknownRegion:
        return code


def _codes(codes: Iterable[str]) -> tuple[str, ...]:
    # Sorted and de-duplicated, so that equal profiles compare and hash equal.
    return tuple(sorted({normalize_cpv(c) for c in codes}))


def _tags(tags: Iterable[str]) -> frozenset[str]:
    return frozenset(t.strip().lower() for t in tags if t.strip())


def _set(obj: object, name: str, value: object) -> None:
    object.__setattr__(obj, name, value)  # normalisation inside frozen dataclasses


@dataclass(frozen=True, slots=True)
class NeedProfile:
    """A buyer's need as matching sees it. `is_open` is False for a past need (implemented
    or closed) that still counts when looking for scaling opportunities."""

    need_id: str
    buyer_org: str
    title: str
    problem: str
    cpv_codes: tuple[str, ...]
    municipality_code: str
    phase: Phase = "hypothesis"
    tags: frozenset[str] = frozenset()
    language: str | None = None
    cosigner_orgs: frozenset[str] = frozenset()
    version: int = 1
    is_open: bool = True

    def __post_init__(self) -> None:
        _set(self, "cpv_codes", _codes(self.cpv_codes))
        _set(self, "municipality_code", normalize_region(self.municipality_code))
        _set(self, "tags", _tags(self.tags))
        _set(self, "cosigner_orgs", frozenset(self.cosigner_orgs))
        if self.phase not in PHASES:
            raise ValueError(f"unknown phase {self.phase!r}")

    @property
    def text(self) -> str:
        return f"{self.title}\n{self.problem}"

    @property
    def organisations(self) -> frozenset[str]:
        """The buyer and every co-signer: all who said "we have this need"."""
        return self.cosigner_orgs | {self.buyer_org}


@dataclass(frozen=True, slots=True)
class SolutionProfile:
    """A supplier's solution as matching sees it; `adoption_count` is its social proof."""

    solution_id: str
    supplier_org: str
    name: str
    description: str
    cpv_codes: tuple[str, ...]
    regions: tuple[str, ...]
    maturity: Maturity
    tags: frozenset[str] = frozenset()
    adoption_count: int = 0
    language: str | None = None
    version: int = 1

    def __post_init__(self) -> None:
        _set(self, "cpv_codes", _codes(self.cpv_codes))
        _set(self, "regions", _regions(self.regions))
        _set(self, "tags", _tags(self.tags))
        if self.maturity not in MATURITIES:
            raise ValueError(f"unknown maturity {self.maturity!r}")
        if self.adoption_count < 0:
            raise ValueError("adoption_count must be >= 0")

    @property
    def text(self) -> str:
        return f"{self.name}\n{self.description}"


@dataclass(frozen=True, slots=True)
class SubscriptionProfile:
    """A supplier's standing query. Empty criteria match anything."""

    subscription_id: str
    supplier_org: str
    cpv_prefixes: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()
    phases: frozenset[Phase] = frozenset()
    version: int = 1

    def __post_init__(self) -> None:
        _set(
            self,
            "cpv_prefixes",
            tuple(sorted({normalize_cpv_prefix(p) for p in self.cpv_prefixes})),
        )
        _set(self, "regions", _regions(self.regions))
        _set(self, "keywords", tuple(dict.fromkeys(k.strip() for k in self.keywords if k.strip())))
        _set(self, "phases", frozenset(self.phases))
        unknown = [p for p in self.phases if p not in PHASES]
        if unknown:
            raise ValueError(f"unknown phases {unknown!r}")


ReasonValue = str | int | float | tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Reason:
    """One component's share of an explanation: its own score in [0, 1] and what it saw."""

    component: str
    score: float
    detail: str  # English, for integrators
    # What the reason says, stable, and its values: people read it in their language
    # (`marketplace_contracts.wording.render_reason`). A tuple of pairs keeps it hashable.
    code: str = ""
    params: tuple[tuple[str, ReasonValue], ...] = ()

    def param(self, name: str) -> ReasonValue | None:
        return dict(self.params).get(name)


@dataclass(frozen=True, slots=True)
class Match:
    """A scored need-solution pair with its reasons (best first is the caller's order)."""

    need_id: str
    solution_id: str
    score: float
    reasons: tuple[Reason, ...]
    need_version: int = 1
    solution_version: int = 1

    def reason(self, component: str) -> Reason | None:
        return next((r for r in self.reasons if r.component == component), None)


@dataclass(frozen=True, slots=True)
class ScalingOpportunity:
    """Another buyer whose need resembles a solution just adopted elsewhere."""

    buyer_org: str
    need_id: str
    solution_id: str
    score: float
    reasons: tuple[Reason, ...] = field(default=())
    # True when the buyer co-signed the need rather than owning it
    via_cosign: bool = False
