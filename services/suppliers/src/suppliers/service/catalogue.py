"""Handlers for profiles and solutions (HTTP commands) and adoptions (Kafka events)."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from marketplace_contracts.cursors import name_cursor, name_key, read_cursor
from marketplace_contracts.events import (
    AdoptionRecorded,
    CloudEvent,
    Payload,
    SolutionRetired,
    deterministic_id,
)
from marketplace_contracts.reference import InvalidCpvCode, UnknownRegion
from marketplace_contracts.text.search import query_term_groups
from marketplace_platform.concurrency import retry_on_conflict
from marketplace_platform.errors import Conflict, Forbidden, Invalid, NotFound
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
from ..domain.listing import (
    Key,
    SolutionListing,
    listed_after,
    listed_from_solution,
    sort_key,
)
from ..domain.search import (
    SolutionQuery,
    cpv_search_prefixes,
    regions_serving,
)
from .paging import Page

RETRIES = 5
LISTING_READS = 5
log = logging.getLogger(__name__)


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


def solution_query(
    *,
    cpv: str | None = None,
    region: str | None = None,
    q: str | None = None,
    supplier: str | None = None,
    include_retired: bool = False,
) -> SolutionQuery:
    """The filters of `GET /v1/solutions`, validated, each naming its field when refused."""
    query = SolutionQuery(
        supplier_org=supplier or None,
        published_only=not include_retired,
        term_groups=query_term_groups(q),
    )
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
    return query


def key_of_cursor(cursor: str | None) -> Key | None:
    return read_cursor(
        cursor,
        lambda c: sort_key(*name_key(c)),
        lambda message: Invalid(message, field="cursor"),
    )


class Catalogue:
    def __init__(
        self,
        profiles: ProfileRepository,
        solutions: SolutionRepository,
        relay: Relay,
        source: str,
        listing: SolutionListing | None = None,
    ) -> None:
        self.profiles = profiles
        self.solutions = solutions
        self.relay = relay
        self.source = source
        self.listing = listing if listing is not None else SolutionListing()

    async def apply_to_listing(self, payload: Payload) -> None:
        """One event of the solutions topic into the listing (this instance's own writes
        came in at once; they come again here and are ignored by version). A retirement
        of a solution not held yet (compaction left only that record) is completed from the
        solution as stored, read by `_id`."""
        held = self.listing.get(payload.partition_key())
        entry = listed_after(payload, held)
        if entry is None and isinstance(payload, SolutionRetired) and held is None:
            stored = await self._stored_for_listing(payload.solution_id)
            if stored is not None:
                entry = listed_from_solution(stored.solution)
        if entry is not None:
            self.listing.put(entry)

    async def _stored_for_listing(self, solution_id: str) -> StoredSolution | None:
        """The solution by id, again while the database is unreachable (the listing's
        reader must not stop); after the last attempt it stays out of the listing."""
        for attempt in range(1, LISTING_READS + 1):
            try:
                return await self.solutions.get(solution_id)
            except Exception as exc:
                log.warning(
                    "listing could not read a retired solution (attempt %d): %s", attempt, exc
                )
                await asyncio.sleep(0.5 * attempt)
        log.error("a retired solution stays out of the listing", extra={"solution": solution_id})
        return None

    def _listed(self, solution: Solution) -> None:
        self.listing.put(listed_from_solution(solution))

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
        self._listed(solution)
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

        async def attempt() -> Solution:
            stored = await self._load_own(org, solution_id)
            try:
                changed, item = change(stored.solution)
            except SolutionRetiredError as exc:
                raise Conflict(str(exc)) from None
            await self.solutions.save(changed, [item], previous=stored, at=now())
            return changed

        changed = await retry_on_conflict(
            attempt,
            attempts=RETRIES,
            conflict=ConcurrentModification,
            exhausted=lambda: ConcurrentModification(f"solutions/{solution_id} keeps changing"),
        )
        self._listed(changed)
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
        cursor: str | None = None,
        limit: int = 20,
    ) -> Page:
        """A page of the catalogue in Swedish order of names, answered from the in-memory
        listing alone: each solution's card (the whole solution is `get`)."""
        query = solution_query(
            cpv=cpv, region=region, q=q, supplier=supplier, include_retired=include_retired
        )
        ids, more = self.listing.page(query, after=key_of_cursor(cursor), limit=limit)
        listed = [entry for i in ids if (entry := self.listing.get(i)) is not None]
        last = listed[-1] if more and listed else None
        following = name_cursor(last.name, last.solution_id) if last is not None else None
        return Page([entry.card() for entry in listed], following)

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

        async def attempt() -> Solution | None:
            """The solution with the deployment added, None when it already had it."""
            stored = await self.solutions.get(adoption.solution_id)
            if stored is None:
                # Not this service's solution (or not yet): the event goes to the dead letters.
                raise LookupError(
                    f"adoption.recorded names an unknown solution {adoption.solution_id}"
                )
            solution = stored.solution
            if solution.has_deployment(adoption.adoption_id):
                return None
            changed = catalogue.add_deployment(solution, deployment)
            item: OutboxItem | None = None
            if solution.status == "published":
                # A retired solution records the deployment but stays retired for matching.
                event_id = deterministic_id(
                    "solution.updated", solution.solution_id, adoption.adoption_id
                )
                item = events.solution_updated(changed, self.source, event_id=event_id)
            if not await self.solutions.add_deployment(stored, deployment, item, now()):
                raise ConcurrentModification(f"solutions/{adoption.solution_id} changed")
            return changed

        changed = await retry_on_conflict(
            attempt,
            attempts=RETRIES * 4,
            conflict=ConcurrentModification,
            exhausted=lambda: ConcurrentModification(
                f"solutions/{adoption.solution_id} keeps changing"
            ),
        )
        if changed is None:
            return False
        self._listed(changed)
        await self.relay.publish_pending(SOLUTIONS, adoption.solution_id)
        return True
