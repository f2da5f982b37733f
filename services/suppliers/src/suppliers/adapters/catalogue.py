"""Mongo repositories of the catalogue: supplier profiles and solutions (with their outbox).

Every read on a request path is by `_id` alone, the one lookup FerretDB 1.x answers from an
index; lists and searches come from the in-memory listing (`domain.listing`)."""

from __future__ import annotations

import logging
from datetime import datetime

from pymongo import ASCENDING
from pymongo.asynchronous.database import AsyncDatabase

from marketplace_platform import outbox
from marketplace_platform.mongo import guarded_update, retry_upsert, run_once

from ..domain.catalogue import Deployment, Solution
from ..domain.search import SolutionQuery, cpv_prefixes
from .events import OutboxItem
from .repository import SOLUTIONS, Document, StoredSolution

log = logging.getLogger(__name__)


class MongoProfiles:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self.collection = db["profiles"]

    async def put(self, org: str, fields: Document, at: datetime) -> None:
        await retry_upsert(
            lambda: self.collection.update_one(
                {"_id": org},
                {"$set": {**fields, "updated_at": at}, "$setOnInsert": {"created_at": at}},
                upsert=True,
            )
        )

    async def get(self, org: str) -> Document | None:
        return await self.collection.find_one({"_id": org})


def solution_from_doc(doc: Document) -> Solution:
    return Solution(
        solution_id=doc["_id"],
        supplier_org=doc["supplier_org"],
        name=doc["name"],
        description=doc["description"],
        cpv_codes=list(doc["cpv_codes"]),
        regions=list(doc["regions"]),
        maturity=doc["maturity"],
        tags=list(doc.get("tags") or []),
        price_model=doc.get("price_model"),
        languages=list(doc.get("languages") or []),
        version=int(doc["version"]),
        status=doc.get("status", "published"),
        adoption_count=int(doc.get("adoption_count", 0)),
        deployments=[
            Deployment(
                adoption_id=d["adoption_id"],
                buyer_org=d["buyer_org"],
                municipality_code=d.get("municipality_code"),
                need_id=d.get("need_id"),
                since=d["since"],
                kind=d.get("kind", "adoption"),
            )
            for d in doc.get("deployments") or []
        ],
    )


def stored_solution(doc: Document) -> StoredSolution:
    return StoredSolution(
        solution=solution_from_doc(doc),
        rev=int(doc.get("rev") or 0),
        created_at=doc.get("created_at"),
        updated_at=doc.get("updated_at"),
    )


def solution_state(
    solution: Solution, *, created_at: datetime | None, updated_at: datetime
) -> Document:
    """The stored fields (without rev and outbox), with the CPV prefixes searched by."""
    state = solution.public_state()
    state.pop("solution_id")
    return {
        "_id": solution.solution_id,
        **state,
        "cpv_prefixes": cpv_prefixes(solution.cpv_codes),
        "status": solution.status,
        "deployments": [d.as_dict() for d in solution.deployments],
        "created_at": created_at,
        "updated_at": updated_at,
    }


def search_filter(query: SolutionQuery) -> Document:
    """The query as a Mongo filter: equalities and `$in` only (no Python-side filtering)."""
    found: Document = {}
    if query.supplier_org:
        found["supplier_org"] = query.supplier_org
    if query.published_only:
        found["status"] = "published"
    if query.cpv_prefixes is not None:
        found["cpv_prefixes"] = {"$in": list(query.cpv_prefixes)}
    if query.regions is not None:
        found["regions"] = {"$in": list(query.regions)}
    return found


class MongoSolutions:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self.collection = db[SOLUTIONS]

    async def ensure_indexes(self) -> None:
        """Indexes, then the one-off backfill of `cpv_prefixes` (see `backfill_cpv_prefixes`),
        once per database: it scans the collection, which at 50 000 solutions on FerretDB
        would cost every start tens of seconds."""
        await self.collection.create_index([("supplier_org", ASCENDING)])
        await self.collection.create_index([("cpv_prefixes", ASCENDING)])
        await self.collection.create_index([("regions", ASCENDING)])
        await run_once(
            self.collection.database, "solutions.cpv_prefixes", self.backfill_cpv_prefixes
        )

    async def backfill_cpv_prefixes(self) -> int:
        """Give `cpv_prefixes` to the solutions stored before the search used it; returns
        how many were written.

        Every save writes the field, so after this runs once at start (one scan) each
        solution has it; a solution written without it by an older process still running
        is found by CPV only after the next save or start. Each write is by `_id`, guarded
        by the revision read: a solution saved meanwhile has the field already. The
        revision stays, since the state did not change.
        """
        written = 0
        missing = self.collection.find(
            {"cpv_prefixes": {"$exists": False}}, {"cpv_codes": 1, "rev": 1}
        )
        async for doc in missing:
            prefixes = cpv_prefixes(doc.get("cpv_codes") or [])
            if await guarded_update(
                self.collection,
                doc["_id"],
                {"rev": doc.get("rev")},
                {"$set": {"cpv_prefixes": prefixes}},
            ):
                written += 1
        if written:
            log.info("backfilled cpv_prefixes", extra={"solutions": written})
        return written

    async def get(self, solution_id: str) -> StoredSolution | None:
        doc = await self.collection.find_one({"_id": solution_id}, {"outbox": 0})
        return None if doc is None else stored_solution(doc)

    async def save(
        self,
        solution: Solution,
        events: list[OutboxItem],
        *,
        previous: StoredSolution | None,
        at: datetime,
    ) -> None:
        created_at = at if previous is None else previous.created_at
        state = solution_state(solution, created_at=created_at, updated_at=at)
        await outbox.save(
            self.collection, state, events, None if previous is None else previous.rev
        )

    async def add_deployment(
        self,
        previous: StoredSolution,
        deployment: Deployment,
        event: OutboxItem | None,
        at: datetime,
    ) -> bool:
        # One update that adds the deployment and queues its event, so neither exists
        # without the other; guarded by the revision (every write raises it), under this
        # process's lock of the document as every aggregate write on FerretDB 1.x.
        update: Document = {
            "$push": {"deployments": deployment.as_dict()},
            "$inc": {"adoption_count": 1, "version": 1, "rev": 1},
            "$set": {"updated_at": at},
        }
        if event is not None:
            topic, cloud_event = event
            update["$push"]["outbox"] = outbox.outbox_entry(topic, cloud_event)
        return await outbox.guarded_update_with_events(
            self.collection, previous.solution.solution_id, {"rev": previous.rev}, update
        )

    async def search(self, query: SolutionQuery) -> list[StoredSolution]:
        """The solutions that satisfy the equality conditions of `query` (not its text),
        in no order. On no request path: FerretDB 1.x answers this filter by decoding every
        solution, so `GET /v1/solutions` is answered by the in-memory listing
        (`domain.listing`). For operators and checks of the stored fields."""
        cursor = self.collection.find(search_filter(query), {"outbox": 0})
        return [stored_solution(doc) async for doc in cursor]
