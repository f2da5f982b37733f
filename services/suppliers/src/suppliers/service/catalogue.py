"""Handlers for profiles and solutions (HTTP commands) and adoptions (Kafka events)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from marketplace_contracts.events import AdoptionRecorded, CloudEvent, deterministic_id
from marketplace_contracts.reference import (
    InvalidCpvCode,
    UnknownRegion,
    swedish_sort_key,
)
from marketplace_platform.http import Conflict, Forbidden, Invalid, NotFound
from marketplace_platform.outbox import ConcurrentModification

from ..adapters import events
from ..adapters.events import OutboxItem
from ..adapters.repository import (
    SOLUTIONS,
    ProfileRepository,
    Relay,
    SolutionRepository,
    StoredSolution,
)
from ..domain import catalogue
from ..domain.catalogue import Deployment, Solution, SolutionRetiredError
from ..domain.search import (
    SolutionQuery,
    cpv_search_prefixes,
    query_words,
    regions_serving,
    text_matches,
)

RETRIES = 5


def now() -> datetime:
    return datetime.now(UTC)


def _iso(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


def public_solution(stored: StoredSolution) -> dict[str, Any]:
    solution = stored.solution
    deployments = sorted(solution.deployments, key=lambda d: d.since)
    return {
        "id": solution.solution_id,
        **{k: v for k, v in solution.public_state().items() if k != "solution_id"},
        "status": solution.status,
        "deployments": [
            {
                "buyer_org": d.buyer_org,
                "municipality_code": d.municipality_code,
                "need_id": d.need_id,
                "since": d.since.isoformat(),
                "kind": d.kind,
            }
            for d in deployments
        ],
        "created_at": _iso(stored.created_at),
        "updated_at": _iso(stored.updated_at),
    }


class Catalogue:
    def __init__(
        self, profiles: ProfileRepository, solutions: SolutionRepository, relay: Relay, source: str
    ) -> None:
        self.profiles = profiles
        self.solutions = solutions
        self.relay = relay
        self.source = source

    # --- profile -------------------------------------------------------------------------

    async def put_profile(self, org: str, fields: dict[str, Any]) -> dict[str, Any]:
        await self.profiles.put(org, fields, now())
        return await self.get_profile(org)

    async def get_profile(self, org: str) -> dict[str, Any]:
        doc = await self.profiles.get(org)
        if doc is None:
            raise NotFound("this organisation has no profile yet; create it with PUT /v1/profile")
        return {
            "org": doc["_id"],
            "name": doc["name"],
            "organisation_number": doc["organisation_number"],
            "contact": doc["contact"],
            "regions": doc["regions"],
            "created_at": _iso(doc.get("created_at")),
            "updated_at": _iso(doc.get("updated_at")),
        }

    # --- solutions -----------------------------------------------------------------------

    async def publish(self, org: str, fields: dict[str, Any]) -> dict[str, Any]:
        solution = catalogue.publish(str(uuid.uuid4()), org, fields)
        published = events.solution_published(solution, self.source)
        await self.solutions.save(solution, [published], previous=None, at=now())
        await self.relay.publish_pending(SOLUTIONS, solution.solution_id)
        return await self.get(solution.solution_id)

    async def _load_own(self, org: str, solution_id: str) -> StoredSolution:
        stored = await self.solutions.get(solution_id)
        if stored is None:
            raise NotFound(f"no solution {solution_id}")
        if stored.solution.supplier_org != org:
            raise Forbidden("a supplier changes only its own solutions")
        return stored

    async def _change(
        self,
        org: str,
        solution_id: str,
        change: Callable[[Solution], tuple[Solution, OutboxItem]],
    ) -> dict[str, Any]:
        """Load, change, save guarded by the revision (again when it changed meanwhile)."""
        for _ in range(RETRIES):
            stored = await self._load_own(org, solution_id)
            try:
                changed, item = change(stored.solution)
            except SolutionRetiredError as exc:
                raise Conflict(str(exc)) from None
            try:
                await self.solutions.save(changed, [item], previous=stored, at=now())
                break
            except ConcurrentModification:
                continue
        else:
            raise ConcurrentModification(f"solutions/{solution_id} keeps changing")
        await self.relay.publish_pending(SOLUTIONS, solution_id)
        return await self.get(solution_id)

    async def update(self, org: str, solution_id: str, changes: dict[str, Any]) -> dict[str, Any]:
        def change(solution: Solution) -> tuple[Solution, OutboxItem]:
            changed = catalogue.update(solution, changes)
            return changed, events.solution_updated(changed, self.source)

        return await self._change(org, solution_id, change)

    async def retire(self, org: str, solution_id: str) -> dict[str, Any]:
        def change(solution: Solution) -> tuple[Solution, OutboxItem]:
            retired = catalogue.retire(solution)
            return retired, events.solution_retired(retired, self.source)

        return await self._change(org, solution_id, change)

    async def get(self, solution_id: str) -> dict[str, Any]:
        stored = await self.solutions.get(solution_id)
        if stored is None:
            raise NotFound(f"no solution {solution_id}")
        return public_solution(stored)

    async def search(
        self,
        *,
        cpv: str | None = None,
        region: str | None = None,
        q: str | None = None,
        supplier: str | None = None,
        include_retired: bool = False,
    ) -> list[dict[str, Any]]:
        """The database narrows by supplier, status, CPV prefix and region; the words of
        `q` are matched here, on those candidates."""
        query = SolutionQuery(supplier_org=supplier or None, published_only=not include_retired)
        if cpv is not None:
            try:
                query = replace(query, cpv_prefixes=cpv_search_prefixes(cpv))
            except InvalidCpvCode as exc:
                raise Invalid(str(exc), field="cpv") from None
        if region is not None:
            try:
                query = replace(query, regions=regions_serving(region))
            except UnknownRegion as exc:
                raise Invalid(str(exc), field="region") from None
        words = query_words(q)
        found = [
            public_solution(stored)
            for stored in await self.solutions.search(query)
            if text_matches(stored.solution, words)
        ]
        found.sort(key=lambda s: (swedish_sort_key(s["name"]), s["id"]))
        return found

    # --- adoptions -----------------------------------------------------------------------

    async def record_adoption(self, adoption: AdoptionRecorded, event: CloudEvent) -> bool:
        """Adds the deployment once (one guarded single-document update that also queues the
        SolutionUpdated carrying the new adoption count); returns whether it was new."""
        deployment = Deployment(
            adoption_id=adoption.adoption_id,
            buyer_org=adoption.buyer_org,
            municipality_code=adoption.municipality_code,
            need_id=adoption.need_id,
            since=adoption.recorded_at,
            kind=adoption.kind,
        )
        for _ in range(RETRIES * 4):
            stored = await self.solutions.get(adoption.solution_id)
            if stored is None:
                # Not this service's solution (or not yet): the event goes to the dead letters.
                raise LookupError(
                    f"adoption.recorded names an unknown solution {adoption.solution_id}"
                )
            solution = stored.solution
            if solution.has_deployment(adoption.adoption_id):
                return False
            item: OutboxItem | None = None
            if solution.status == "published":
                # A retired solution records the deployment but stays retired for matching.
                changed = catalogue.add_deployment(solution, deployment)
                event_id = deterministic_id(
                    "solution.updated", solution.solution_id, adoption.adoption_id
                )
                item = events.solution_updated(changed, self.source, event_id=event_id)
            if await self.solutions.add_deployment(stored, deployment, item, now()):
                await self.relay.publish_pending(SOLUTIONS, solution.solution_id)
                return True
        raise ConcurrentModification(f"solutions/{adoption.solution_id} keeps changing")
