"""One writing instance per database where the database cannot guard a second one.

FerretDB 1.x applies an update as a read and then a write of the whole document, so two
processes changing one aggregate at once can lose one change (measured: of 100 concurrent
`$inc` on one document, 7 survived). Within a process `mongo.document_lock` serialises
writes; across processes nothing can. So on such a database a service holds a lease, a
document keyed by `_id` that its instance refreshes every few seconds, and a second
instance that finds the lease alive refuses to start and says why. A lease whose holder
stopped refreshing it (a crash) is taken over once it is older than `ttl_s`; a clean stop
gives it back at once. On MongoDB, whose updates are atomic, no lease is taken and any
number of instances may run.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

log = logging.getLogger(__name__)

LEASES = "_leases"
WRITER = "writer"


class SecondWriter(RuntimeError):
    """Another live instance of this service writes to the same database."""


class WriterLease:
    def __init__(
        self,
        db: AsyncDatabase[dict[str, Any]],
        *,
        service: str,
        instance: str,
        ttl_s: float = 6.0,
        refresh_s: float = 2.0,
    ) -> None:
        self.collection = db[LEASES]
        self.database = db.name
        self.service = service
        self.instance = instance
        self.ttl_s = ttl_s
        self.refresh_s = refresh_s
        self._task: asyncio.Task[None] | None = None

    async def acquire(self) -> None:
        """Hold the lease, waiting out a crashed holder's; raises SecondWriter for a live one."""
        deadline = time.time() + self.ttl_s * 2
        while True:
            if await self._claim():
                self._task = asyncio.create_task(self._refresh(), name="writer-lease")
                return
            held = await self.collection.find_one({"_id": WRITER}) or {}
            age = time.time() - float(held.get("refreshed_at", 0))
            if age < self.ttl_s and time.time() > deadline:
                raise SecondWriter(self._refusal(held))
            await asyncio.sleep(min(self.refresh_s, max(0.1, self.ttl_s - age)))

    async def _claim(self) -> bool:
        now = time.time()
        mine = {"_id": WRITER, "instance": self.instance, "refreshed_at": now}
        try:
            await self.collection.insert_one(mine)
            return True
        except DuplicateKeyError:
            pass
        held = await self.collection.find_one({"_id": WRITER})
        if held is None:
            return False  # given back meanwhile: try again
        if held.get("instance") == self.instance:
            return True
        if now - float(held.get("refreshed_at", 0)) < self.ttl_s:
            return False
        # The holder stopped refreshing: take over, then check that no one else did too.
        await self.collection.replace_one({"_id": WRITER}, mine)
        await asyncio.sleep(0.05)
        after = await self.collection.find_one({"_id": WRITER}) or {}
        return after.get("instance") == self.instance

    async def _refresh(self) -> None:
        while True:
            await asyncio.sleep(self.refresh_s)
            try:
                await self.collection.update_one(
                    {"_id": WRITER}, {"$set": {"refreshed_at": time.time()}}
                )
            except Exception as exc:  # the database is down; health says so
                log.warning("writer lease not refreshed: %s", exc)

    async def release(self) -> None:
        if self._task is None:
            return
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        self._task = None
        with contextlib.suppress(Exception):
            held = await self.collection.find_one({"_id": WRITER})
            if held is not None and held.get("instance") == self.instance:
                await self.collection.delete_one({"_id": WRITER})

    def _refusal(self, held: dict[str, Any]) -> str:
        return (
            f"another instance of the {self.service} service ({held.get('instance')}) writes "
            f"to the database {self.database!r}, and this database (FerretDB 1.x) cannot keep "
            "two instances' changes to one record apart. Run one instance of this service per "
            "database here, or use MongoDB, where any number may run."
        )
