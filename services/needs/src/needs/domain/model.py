"""The need aggregate: a buyer's problem moving through the innovation process.

Pure: no I/O, no framework. Commands change the aggregate and append the payloads of the
events they cause to `pending`; the service layer stores both in one write (the outbox).
Events exist only once a need is published: a draft is the buyer's own business.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from marketplace_contracts.events import (
    AdoptionRecorded,
    NeedCosigned,
    NeedPhaseChanged,
    NeedPublished,
    NeedUpdated,
    NeedWithdrawn,
    Payload,
    Phase,
)
from marketplace_contracts.process import (
    IMPLEMENTABLE_PHASES,
    PHASES,
    WITHDRAWN,
    allowed_moves,
    is_backward,
)
from marketplace_contracts.reference import (
    InvalidCpvCode,
    UnknownCpvCode,
    UnknownRegion,
    known_cpv,
    municipality,
    population_of,
    swedish_sort_key,
)

from .errors import IllegalPhaseMove, InvalidInput, NotPermitted, RuleConflict

Status = Literal["draft", "published", "withdrawn"]

EDITABLE_FIELDS: tuple[str, ...] = (
    "title",
    "problem",
    "desired_outcomes",
    "target_group",
    "cpv_codes",
    "municipality_code",
    "tags",
    "language",
    "budget_sek",
    "timeline",
)


def normalize_cpv_codes(codes: list[str], field_name: str = "cpv_codes") -> list[str]:
    """Bare eight-digit codes, each known to the vocabulary, without duplicates."""
    if not codes:
        raise InvalidInput("at least one CPV code is required", field=field_name)
    out: list[str] = []
    for i, code in enumerate(codes):
        try:
            digits = known_cpv(code)
        except (InvalidCpvCode, UnknownCpvCode) as exc:
            raise InvalidInput(str(exc), field=f"{field_name}.{i}") from None
        if digits not in out:
            out.append(digits)
    return out


def check_municipality(code: str, field_name: str = "municipality_code") -> str:
    try:
        return municipality(code).code
    except UnknownRegion as exc:
        raise InvalidInput(str(exc), field=field_name) from None


def cpv_prefixes(codes: list[str]) -> list[str]:
    """Every prefix (2-8 digits) of every code, for prefix search by equality."""
    return sorted({code[:n] for code in codes for n in range(2, 9)})


# The reason the service writes when an implementation moves a need on: English for
# integrators in `reason`, and as a code with parameters for people's languages.
IMPLEMENTED = "implemented"
_IMPLEMENTED_REASON = "implemented solution "


@dataclass
class HistoryEntry:
    at: datetime
    by: str
    org: str
    from_phase: str | None
    to_phase: str
    reason: str | None = None
    # Set when the service wrote the reason (a person's reason has none): `IMPLEMENTED`
    # with {"solution_id": ...}.
    reason_code: str | None = None
    reason_params: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # Entries stored before reasons carried a code: the service's own English reason
        # for an implementation, on the one move an implementation makes, gets its code.
        reason = self.reason or ""
        if (
            self.reason_code is None
            and (self.from_phase, self.to_phase) == ("procurement", "implementation")
            and reason.startswith(_IMPLEMENTED_REASON)
            and " " not in reason.removeprefix(_IMPLEMENTED_REASON)
        ):
            self.reason_code = IMPLEMENTED
            self.reason_params = {"solution_id": reason.removeprefix(_IMPLEMENTED_REASON)}


@dataclass
class Cosigner:
    org: str
    municipality_code: str | None
    by: str
    at: datetime


@dataclass
class Implementation:
    solution_id: str
    adoption_id: str
    by: str
    at: datetime


@dataclass
class Demand:
    organisations: int
    population: int
    municipality_codes: list[str]


@dataclass
class Need:
    id: str
    buyer_org: str
    created_by: str
    title: str
    problem: str
    cpv_codes: list[str]
    municipality_code: str
    created_at: datetime
    updated_at: datetime
    desired_outcomes: list[str] = field(default_factory=list)
    target_group: str | None = None
    tags: list[str] = field(default_factory=list)
    language: str = "sv"
    budget_sek: int | None = None
    timeline: str | None = None
    phase: Phase = "hypothesis"
    status: Status = "draft"
    version: int = 0
    published_at: datetime | None = None
    cosigners: list[Cosigner] = field(default_factory=list)
    history: list[HistoryEntry] = field(default_factory=list)
    implementations: list[Implementation] = field(default_factory=list)
    pending: list[Payload] = field(default_factory=list, repr=False, compare=False)

    # --- creation ------------------------------------------------------------------------

    @classmethod
    def draft(
        cls,
        *,
        buyer_org: str,
        by: str,
        now: datetime,
        title: str,
        problem: str,
        cpv_codes: list[str],
        municipality_code: str,
        need_id: str | None = None,
        **optional: Any,
    ) -> Need:
        need = cls(
            id=need_id or str(uuid.uuid4()),
            buyer_org=buyer_org,
            created_by=by,
            title=title,
            problem=problem,
            cpv_codes=normalize_cpv_codes(cpv_codes),
            municipality_code=check_municipality(municipality_code),
            created_at=now,
            updated_at=now,
        )
        for name, value in optional.items():
            if name not in EDITABLE_FIELDS:
                raise InvalidInput(f"unknown field {name!r}", field=name)
            setattr(need, name, value)
        need._check_text()
        need.history.append(HistoryEntry(now, by, buyer_org, None, "hypothesis", "drafted"))
        return need

    def _check_text(self) -> None:
        if not self.title.strip():
            raise InvalidInput("the title must not be empty", field="title")
        if not self.problem.strip():
            raise InvalidInput("the problem statement must not be empty", field="problem")

    # --- queries -------------------------------------------------------------------------

    @property
    def is_published(self) -> bool:
        return self.published_at is not None

    def visible_to(self, org: str) -> bool:
        return self.is_published or org == self.buyer_org

    def is_owner(self, org: str) -> bool:
        return org == self.buyer_org

    def has_cosigned(self, org: str) -> bool:
        return any(c.org == org for c in self.cosigners)

    def allowed_moves(self) -> list[str]:
        return allowed_moves(self.phase)

    def demand(self) -> Demand:
        codes = {self.municipality_code}
        codes.update(c.municipality_code for c in self.cosigners if c.municipality_code)
        ordered = sorted(codes, key=lambda c: swedish_sort_key(municipality(c).name))
        return Demand(
            organisations=1 + len(self.cosigners),
            population=population_of(codes),
            municipality_codes=ordered,
        )

    def cosigner_orgs(self) -> list[str]:
        return sorted((c.org for c in self.cosigners), key=swedish_sort_key)

    # --- commands ------------------------------------------------------------------------

    def _require_owner(self, org: str, action: str) -> None:
        if not self.is_owner(org):
            raise NotPermitted(f"only the organisation that owns the need may {action}")

    def _require_active(self) -> None:
        if self.status == "withdrawn":
            raise RuleConflict("the need is withdrawn and can no longer change")

    def _next_version(self) -> int:
        self.version += 1
        return self.version

    def _state(self, cls: type[NeedPublished] | type[NeedUpdated]) -> Payload:
        return cls(
            need_id=self.id,
            version=self.version,
            buyer_org=self.buyer_org,
            title=self.title,
            problem=self.problem,
            desired_outcomes=list(self.desired_outcomes),
            target_group=self.target_group,
            cpv_codes=list(self.cpv_codes),
            municipality_code=self.municipality_code,
            tags=list(self.tags),
            language=self.language,
            phase=self.phase,
            cosigner_orgs=self.cosigner_orgs(),
            budget_sek=self.budget_sek,
            timeline=self.timeline,
            published_at=self.published_at,
        )

    def publish(self, *, org: str, by: str, now: datetime) -> None:
        self._require_owner(org, "publish it")
        self._require_active()
        if self.is_published:
            raise RuleConflict("the need is already published")
        self.status = "published"
        self.published_at = now
        self.updated_at = now
        self.version = 1
        self.pending.append(self._state(NeedPublished))

    def edit(self, *, org: str, by: str, now: datetime, changes: dict[str, Any]) -> bool:
        """Apply the given fields; returns whether anything changed."""
        self._require_owner(org, "edit it")
        self._require_active()
        changed = False
        for name, given in changes.items():
            if name not in EDITABLE_FIELDS:
                raise InvalidInput(f"the field {name!r} cannot be edited", field=name)
            value = given
            if name == "cpv_codes":
                value = normalize_cpv_codes(given)
            elif name == "municipality_code":
                value = check_municipality(given)
            if getattr(self, name) != value:
                setattr(self, name, value)
                changed = True
        self._check_text()
        if not changed:
            return False
        self.updated_at = now
        if self.is_published:
            self._next_version()
            self.pending.append(self._state(NeedUpdated))
        return True

    def move_to(self, target: str, *, org: str, by: str, now: datetime, reason: str | None) -> None:
        self._require_owner(org, "change its phase")
        if target == WITHDRAWN:
            self.withdraw(org=org, by=by, now=now, reason=reason)
            return
        self._require_active()
        reason = (reason or "").strip() or None
        allowed = self.allowed_moves()
        if target not in PHASES:
            raise InvalidInput(
                f"unknown phase {target!r}; phases are {', '.join([*PHASES, WITHDRAWN])}",
                field="phase",
            )
        if target not in allowed:
            raise IllegalPhaseMove(
                f"a need in phase {self.phase!r} cannot move to {target!r}; "
                f"allowed moves: {', '.join(allowed)}",
                field="phase",
                current_phase=self.phase,
                allowed=allowed,
            )
        if is_backward(self.phase, target) and reason is None:
            raise InvalidInput(
                f"moving back from {self.phase!r} to {target!r} needs a reason", field="reason"
            )
        self._apply_move(target, org=org, by=by, now=now, reason=reason)

    def _apply_move(
        self,
        target: Phase,
        *,
        org: str,
        by: str,
        now: datetime,
        reason: str | None,
        reason_code: str | None = None,
        reason_params: dict[str, str] | None = None,
    ) -> None:
        previous = self.phase
        self.phase = target
        self.updated_at = now
        self.history.append(
            HistoryEntry(
                now, by, org, previous, target, reason, reason_code, dict(reason_params or {})
            )
        )
        if self.is_published and target != WITHDRAWN:
            self.pending.append(
                NeedPhaseChanged(
                    need_id=self.id,
                    version=self._next_version(),
                    buyer_org=self.buyer_org,
                    from_phase=previous,
                    to_phase=target,
                    reason=reason,
                    changed_by=by,
                )
            )

    def withdraw(self, *, org: str, by: str, now: datetime, reason: str | None) -> None:
        self._require_owner(org, "withdraw it")
        self._require_active()
        reason = (reason or "").strip() or None
        self._apply_move(WITHDRAWN, org=org, by=by, now=now, reason=reason)
        self.status = "withdrawn"
        if self.is_published:
            self.pending.append(
                NeedWithdrawn(
                    need_id=self.id,
                    version=self._next_version(),
                    buyer_org=self.buyer_org,
                    reason=reason,
                )
            )

    def cosign(
        self, *, org: str, by: str, now: datetime, municipality_code: str | None
    ) -> Cosigner:
        if not self.is_published:
            raise RuleConflict("only a published need can be co-signed")
        self._require_active()
        if self.is_owner(org):
            raise RuleConflict("the owner of a need cannot co-sign it")
        if self.has_cosigned(org):
            raise RuleConflict(f"{org} has already co-signed this need")
        code = check_municipality(municipality_code) if municipality_code else None
        cosigner = Cosigner(org=org, municipality_code=code, by=by, at=now)
        self.cosigners.append(cosigner)
        self.updated_at = now
        self.pending.append(
            NeedCosigned(
                need_id=self.id,
                version=self._next_version(),
                buyer_org=self.buyer_org,
                cosigner_org=org,
                cosigner_municipality_code=code,
                organisations=1 + len(self.cosigners),
            )
        )
        return cosigner

    def record_implementation(
        self, *, org: str, by: str, now: datetime, solution_id: str, adoption_id: str | None = None
    ) -> Implementation:
        """The owner implemented a solution: from procurement the need moves on to
        implementation (a later phase stays); earlier phases must go through procurement."""
        self._require_owner(org, "record its implementation")
        self._require_active()
        if not self.is_published:
            raise RuleConflict("publish the need before recording an implementation")
        if any(i.solution_id == solution_id for i in self.implementations):
            raise RuleConflict(f"solution {solution_id} is already recorded as implemented")
        if self.phase not in IMPLEMENTABLE_PHASES:
            raise IllegalPhaseMove(
                f"a need in phase {self.phase!r} cannot move to 'implementation'; it must "
                f"reach 'procurement' first; allowed moves: {', '.join(self.allowed_moves())}",
                field="phase",
                current_phase=self.phase,
                allowed=self.allowed_moves(),
            )
        if self.phase == "procurement":
            self._apply_move(
                "implementation",
                org=org,
                by=by,
                now=now,
                reason=_IMPLEMENTED_REASON + solution_id,
                reason_code=IMPLEMENTED,
                reason_params={"solution_id": solution_id},
            )
        implementation = Implementation(
            solution_id=solution_id,
            adoption_id=adoption_id or str(uuid.uuid4()),
            by=by,
            at=now,
        )
        self.implementations.append(implementation)
        self.updated_at = now
        self.pending.append(
            AdoptionRecorded(
                adoption_id=implementation.adoption_id,
                solution_id=solution_id,
                buyer_org=self.buyer_org,
                municipality_code=self.municipality_code,
                need_id=self.id,
                kind="implementation",
                recorded_at=now,
            )
        )
        return implementation

    def take_events(self) -> list[Payload]:
        events, self.pending = self.pending, []
        return events


@dataclass
class Adoption:
    """A buyer joins a solution already implemented elsewhere."""

    id: str
    adoption_id: str
    buyer_org: str
    solution_id: str
    by: str
    at: datetime
    need_id: str | None = None
    municipality_code: str | None = None

    @staticmethod
    def key(buyer_org: str, solution_id: str) -> str:
        """One adoption per organisation and solution."""
        return f"{buyer_org}\x1f{solution_id}"

    @classmethod
    def record(
        cls,
        *,
        buyer_org: str,
        by: str,
        now: datetime,
        solution_id: str,
        need: Need | None,
        municipality_code: str | None,
    ) -> tuple[Adoption, AdoptionRecorded]:
        if need is not None and not (need.is_owner(buyer_org) or need.has_cosigned(buyer_org)):
            raise NotPermitted(
                "an adoption can name only a need of your own or one you co-signed",
                field="need_id",
            )
        code = check_municipality(municipality_code) if municipality_code else None
        if code is None and need is not None and need.is_owner(buyer_org):
            code = need.municipality_code
        adoption = cls(
            id=cls.key(buyer_org, solution_id),
            adoption_id=str(uuid.uuid4()),
            buyer_org=buyer_org,
            solution_id=solution_id,
            by=by,
            at=now,
            need_id=need.id if need else None,
            municipality_code=code,
        )
        event = AdoptionRecorded(
            adoption_id=adoption.adoption_id,
            solution_id=solution_id,
            buyer_org=buyer_org,
            municipality_code=code,
            need_id=adoption.need_id,
            kind="adoption",
            recorded_at=now,
        )
        return adoption, event
