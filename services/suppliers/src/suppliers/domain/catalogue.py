"""The solution catalogue: what a supplier offers, and the rules its fields follow.

Pure: no I/O. A `Solution` is published at once (version 1); every update raises the
version by one; retiring it is final. Deployments (where the solution runs) are added by
adoptions, each once, keyed by the adoption id; each raises the adoption count.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Literal, get_args

from marketplace_contracts.events import Maturity
from marketplace_contracts.reference import (
    COUNTRY_CODE,
    InvalidCpvCode,
    UnknownCpvCode,
    UnknownRegion,
    canonical_regions,
    known_cpv,
)

from .errors import RuleViolation

MATURITIES: tuple[str, ...] = get_args(Maturity)
Status = Literal["published", "retired"]

NAME_MAX = 200
DESCRIPTION_MAX = 10_000
TAGS_MAX = 20
LIST_MAX = 50
_TAG_RE = re.compile(r"[a-z0-9][a-z0-9-]{0,49}")
_LANGUAGE_RE = re.compile(r"[a-z]{2,3}")


# --- field rules (shared by solutions, profiles and subscriptions) -----------------------


def clean_text(value: str, field_name: str, *, max_len: int, required: bool = True) -> str:
    text = value.strip()
    if required and not text:
        raise RuleViolation(field_name, "must not be empty")
    if len(text) > max_len:
        raise RuleViolation(field_name, f"must be at most {max_len} characters")
    return text


def _check_size(values: list[str], field_name: str, *, minimum: int, maximum: int) -> None:
    if len(values) < minimum:
        raise RuleViolation(
            field_name, f"needs at least {minimum} entr{'y' if minimum == 1 else 'ies'}"
        )
    if len(values) > maximum:
        raise RuleViolation(field_name, f"may hold at most {maximum} entries")


def _dedupe(values: list[str]) -> list[str]:
    return list(dict.fromkeys(values))


def normalize_cpv_codes(values: list[str], field_name: str = "cpv_codes") -> list[str]:
    """Codes of CPV 2008 as bare eight digits ("80500000-9" -> "80500000"), deduplicated."""
    _check_size(values, field_name, minimum=1, maximum=LIST_MAX)
    out = []
    for i, value in enumerate(values):
        try:
            out.append(known_cpv(value))
        except (InvalidCpvCode, UnknownCpvCode) as exc:
            raise RuleViolation(f"{field_name}.{i}", str(exc)) from None
    return _dedupe(out)


def normalize_regions(
    values: list[str], field_name: str = "regions", *, minimum: int = 1
) -> list[str]:
    """Region references ("SE", county "17", municipality "1780", NUTS "SE311") in their stored
    form (a NUTS-3 code is its county, NUTS-1/2 its counties); "SE" covers all others."""
    _check_size(values, field_name, minimum=minimum, maximum=LIST_MAX)
    out: list[str] = []
    for i, value in enumerate(values):
        try:
            out.extend(canonical_regions(value))
        except UnknownRegion as exc:
            raise RuleViolation(f"{field_name}.{i}", str(exc)) from None
    out = _dedupe(out)
    return [COUNTRY_CODE] if COUNTRY_CODE in out else out


def normalize_tags(values: list[str], field_name: str = "tags") -> list[str]:
    _check_size(values, field_name, minimum=0, maximum=TAGS_MAX)
    out = []
    for i, value in enumerate(values):
        tag = value.strip().lower().replace(" ", "-").replace("_", "-")
        if not _TAG_RE.fullmatch(tag):
            raise RuleViolation(
                f"{field_name}.{i}",
                f"tag {value!r} must be 1-50 letters a-z, digits or '-' (e.g. 'social-enterprise')",
            )
        out.append(tag)
    return _dedupe(out)


def normalize_languages(values: list[str], field_name: str = "languages") -> list[str]:
    _check_size(values, field_name, minimum=0, maximum=LIST_MAX)
    out = []
    for i, value in enumerate(values):
        code = value.strip().lower()
        if not _LANGUAGE_RE.fullmatch(code):
            raise RuleViolation(
                f"{field_name}.{i}", f"{value!r} is not an ISO 639 language code (e.g. 'sv', 'en')"
            )
        out.append(code)
    return _dedupe(out)


def check_maturity(value: str, field_name: str = "maturity") -> str:
    if value not in MATURITIES:
        raise RuleViolation(field_name, f"must be one of {', '.join(MATURITIES)}")
    return value


# --- the aggregate -------------------------------------------------------------------------


@dataclass(frozen=True)
class Deployment:
    """Where a solution runs: one buyer's implementation or adoption."""

    adoption_id: str
    buyer_org: str
    municipality_code: str | None
    need_id: str | None
    since: datetime
    kind: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "adoption_id": self.adoption_id,
            "buyer_org": self.buyer_org,
            "municipality_code": self.municipality_code,
            "need_id": self.need_id,
            "since": self.since,
            "kind": self.kind,
        }


@dataclass(frozen=True)
class Solution:
    solution_id: str
    supplier_org: str
    name: str
    description: str
    cpv_codes: list[str]
    regions: list[str]
    maturity: str
    tags: list[str] = field(default_factory=list)
    price_model: str | None = None
    languages: list[str] = field(default_factory=list)
    version: int = 1
    status: Status = "published"
    adoption_count: int = 0
    deployments: list[Deployment] = field(default_factory=list)

    def public_state(self) -> dict[str, Any]:
        """The fields every solution.* state event carries."""
        return {
            "solution_id": self.solution_id,
            "version": self.version,
            "supplier_org": self.supplier_org,
            "name": self.name,
            "description": self.description,
            "cpv_codes": list(self.cpv_codes),
            "regions": list(self.regions),
            "maturity": self.maturity,
            "tags": list(self.tags),
            "price_model": self.price_model,
            "languages": list(self.languages),
            "adoption_count": self.adoption_count,
        }

    def has_deployment(self, adoption_id: str) -> bool:
        return any(d.adoption_id == adoption_id for d in self.deployments)


UPDATABLE = (
    "name",
    "description",
    "cpv_codes",
    "regions",
    "maturity",
    "tags",
    "price_model",
    "languages",
)


def _clean_fields(values: dict[str, Any]) -> dict[str, Any]:
    """Validate and normalise the solution fields present in `values`."""
    out: dict[str, Any] = {}
    for key, value in values.items():
        if key not in UPDATABLE:
            raise RuleViolation(key, "is not a field of a solution")
        if key == "name":
            out[key] = clean_text(value, key, max_len=NAME_MAX)
        elif key == "description":
            out[key] = clean_text(value, key, max_len=DESCRIPTION_MAX)
        elif key == "cpv_codes":
            out[key] = normalize_cpv_codes(value)
        elif key == "regions":
            out[key] = normalize_regions(value)
        elif key == "maturity":
            out[key] = check_maturity(value)
        elif key == "tags":
            out[key] = normalize_tags(value or [])
        elif key == "languages":
            out[key] = normalize_languages(value or [])
        elif key == "price_model":
            out[key] = (
                None
                if value is None
                else clean_text(value, key, max_len=200, required=False) or None
            )
    return out


def publish(solution_id: str, supplier_org: str, fields: dict[str, Any]) -> Solution:
    """A new solution, published at once with version 1."""
    required = ("name", "description", "cpv_codes", "regions", "maturity")
    for name in required:
        if fields.get(name) is None:
            raise RuleViolation(name, "is required")
    clean = _clean_fields({k: v for k, v in fields.items() if v is not None})
    return Solution(solution_id=solution_id, supplier_org=supplier_org, **clean)


def update(solution: Solution, changes: dict[str, Any]) -> Solution:
    """Apply a partial update; the version rises by one. A retired solution is final."""
    if solution.status == "retired":
        raise SolutionRetiredError(solution.solution_id)
    for name in ("name", "description", "cpv_codes", "regions", "maturity"):
        if name in changes and changes[name] is None:
            raise RuleViolation(name, "may not be removed")
    if not changes:
        raise RuleViolation("body", "name at least one field to change")
    clean = _clean_fields(changes)
    return replace(solution, **clean, version=solution.version + 1)


def retire(solution: Solution) -> Solution:
    if solution.status == "retired":
        raise SolutionRetiredError(solution.solution_id)
    return replace(solution, status="retired", version=solution.version + 1)


def add_deployment(solution: Solution, deployment: Deployment) -> Solution:
    """Adds a deployment once (by adoption id) and raises the adoption count."""
    if solution.has_deployment(deployment.adoption_id):
        return solution
    return replace(
        solution,
        deployments=[*solution.deployments, deployment],
        adoption_count=solution.adoption_count + 1,
        version=solution.version + 1,
    )


class SolutionRetiredError(Exception):
    def __init__(self, solution_id: str) -> None:
        super().__init__(f"solution {solution_id} is retired and can no longer change")
        self.solution_id = solution_id
