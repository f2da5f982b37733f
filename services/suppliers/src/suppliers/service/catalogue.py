"""Handlers for profiles and solutions (HTTP commands) and adoptions (Kafka events)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from marketplace_contracts.events import AdoptionRecorded, CloudEvent, deterministic_id
from marketplace_contracts.reference import (
    COUNTRY_CODE,
    InvalidCpvCode,
    UnknownRegion,
    matches_prefix,
    parse_region,
    region_covers,
    swedish_sort_key,
)
from marketplace_platform import outbox
from marketplace_platform.http import Conflict, Forbidden, Invalid, NotFound
from marketplace_platform.mongo import retry_upsert
from marketplace_platform.outbox import ConcurrentModification, OutboxRelay

from ..adapters import events
from ..adapters.repository import (
    SOLUTIONS,
    Collections,
    Document,
    solution_from_doc,
    solution_state,
)
from ..domain import catalogue
from ..domain.catalogue import Deployment, Solution, SolutionRetiredError

RETRIES = 5


def now() -> datetime:
    return datetime.now(UTC)


def _iso(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


def public_solution(doc: Document) -> dict[str, Any]:
    solution = solution_from_doc(doc)
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
        "created_at": _iso(doc.get("created_at")),
        "updated_at": _iso(doc.get("updated_at")),
    }


def _serves(regions: list[str], wanted: str) -> bool:
    """Whether a solution serving `regions` serves (part of) the region `wanted`."""
    region = parse_region(wanted)
    if region.kind == "country":
        return True
    counties = region.county_codes if region.kind == "nuts" else (region.code,)
    for served in regions:
        if served in (COUNTRY_CODE, region.code):
            return True
        if region.kind == "municipality" and region_covers(served, region.code):
            return True
        if region.kind in ("county", "nuts") and served[:2] in counties:
            return True  # a county of the area, or a municipality in one
    return False


class Catalogue:
    def __init__(self, cols: Collections, relay: OutboxRelay, source: str) -> None:
        self.cols = cols
        self.relay = relay
        self.source = source

    # --- profile -------------------------------------------------------------------------

    async def put_profile(self, org: str, fields: dict[str, Any]) -> dict[str, Any]:
        at = now()
        await retry_upsert(
            lambda: self.cols.profiles.update_one(
                {"_id": org},
                {"$set": {**fields, "updated_at": at}, "$setOnInsert": {"created_at": at}},
                upsert=True,
            )
        )
        return await self.get_profile(org)

    async def get_profile(self, org: str) -> dict[str, Any]:
        doc = await self.cols.profiles.find_one({"_id": org})
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
        at = now()
        state = solution_state(solution, created_at=at, updated_at=at)
        await outbox.save(
            self.cols.solutions, state, [events.solution_published(solution, self.source)], None
        )
        await self.relay.publish_pending(SOLUTIONS, solution.solution_id)
        return await self.get(solution.solution_id)

    async def _load_own(self, org: str, solution_id: str) -> tuple[Document, Solution]:
        doc = await self.cols.solutions.find_one({"_id": solution_id})
        if doc is None:
            raise NotFound(f"no solution {solution_id}")
        if doc["supplier_org"] != org:
            raise Forbidden("a supplier changes only its own solutions")
        return doc, solution_from_doc(doc)

    async def update(self, org: str, solution_id: str, changes: dict[str, Any]) -> dict[str, Any]:
        for _ in range(RETRIES):
            doc, solution = await self._load_own(org, solution_id)
            try:
                changed = catalogue.update(solution, changes)
            except SolutionRetiredError as exc:
                raise Conflict(str(exc)) from None
            state = solution_state(changed, created_at=doc["created_at"], updated_at=now())
            item = events.solution_updated(changed, self.source)
            try:
                await outbox.save(self.cols.solutions, state, [item], doc["rev"])
                break
            except ConcurrentModification:
                continue
        else:
            raise ConcurrentModification(f"solutions/{solution_id} keeps changing")
        await self.relay.publish_pending(SOLUTIONS, solution_id)
        return await self.get(solution_id)

    async def retire(self, org: str, solution_id: str) -> dict[str, Any]:
        for _ in range(RETRIES):
            doc, solution = await self._load_own(org, solution_id)
            try:
                retired = catalogue.retire(solution)
            except SolutionRetiredError as exc:
                raise Conflict(str(exc)) from None
            state = solution_state(retired, created_at=doc["created_at"], updated_at=now())
            item = events.solution_retired(retired, self.source)
            try:
                await outbox.save(self.cols.solutions, state, [item], doc["rev"])
                break
            except ConcurrentModification:
                continue
        else:
            raise ConcurrentModification(f"solutions/{solution_id} keeps changing")
        await self.relay.publish_pending(SOLUTIONS, solution_id)
        return await self.get(solution_id)

    async def get(self, solution_id: str) -> dict[str, Any]:
        doc = await self.cols.solutions.find_one({"_id": solution_id}, {"outbox": 0})
        if doc is None:
            raise NotFound(f"no solution {solution_id}")
        return public_solution(doc)

    async def search(
        self,
        *,
        cpv: str | None = None,
        region: str | None = None,
        q: str | None = None,
        supplier: str | None = None,
        include_retired: bool = False,
    ) -> list[dict[str, Any]]:
        if cpv is not None:
            try:
                matches_prefix("10000000", cpv)
            except InvalidCpvCode as exc:
                raise Invalid(str(exc), field="cpv") from None
        if region is not None:
            try:
                parse_region(region)
            except UnknownRegion as exc:
                raise Invalid(str(exc), field="region") from None
        query: Document = {}
        if supplier:
            query["supplier_org"] = supplier
        if not include_retired:
            query["status"] = "published"
        words = q.casefold().split() if q else []
        found = []
        async for doc in self.cols.solutions.find(query, {"outbox": 0}):
            if cpv and not any(matches_prefix(code, cpv) for code in doc["cpv_codes"]):
                continue
            if region and not _serves(doc["regions"], region):
                continue
            if words:
                text = " ".join([doc["name"], doc["description"], *doc.get("tags", [])]).casefold()
                if not all(w in text for w in words):
                    continue
            found.append(public_solution(doc))
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
            doc = await self.cols.solutions.find_one({"_id": adoption.solution_id})
            if doc is None:
                # Not this service's solution (or not yet): the event goes to the dead letters.
                raise LookupError(
                    f"adoption.recorded names an unknown solution {adoption.solution_id}"
                )
            solution = solution_from_doc(doc)
            if solution.has_deployment(adoption.adoption_id):
                return False
            changed = catalogue.add_deployment(solution, deployment)
            update: Document = {
                "$push": {"deployments": deployment.as_dict()},
                "$inc": {"adoption_count": 1, "version": 1, "rev": 1},
                "$set": {"updated_at": now()},
            }
            if solution.status == "published":
                # A retired solution records the deployment but stays retired for matching.
                event_id = deterministic_id(
                    "solution.updated", solution.solution_id, adoption.adoption_id
                )
                _, cloud_event = events.solution_updated(changed, self.source, event_id=event_id)
                update["$push"]["outbox"] = outbox.outbox_entry("solutions", cloud_event)
            result = await self.cols.solutions.update_one(
                {
                    "_id": solution.solution_id,
                    "rev": doc["rev"],
                    "deployments.adoption_id": {"$ne": adoption.adoption_id},
                },
                update,
            )
            if result.matched_count == 1:
                await self.relay.publish_pending(SOLUTIONS, solution.solution_id)
                return True
        raise ConcurrentModification(f"solutions/{adoption.solution_id} keeps changing")
