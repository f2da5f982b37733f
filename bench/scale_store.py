"""What the scale seed stores with: the services' storage code, the databases of a size.

The services' own builders and repositories, found where they are today (`storage`), and
a fingerprint of their code (a later run warns when it changed); the index FerretDB 1.24
looks `_id` up with, repaired where its keeper skipped a table; the databases of one size
(`scale<n>_needs`, `scale<n>_suppliers` and the marker's `scale<n>_seed`); and timing and
writing politely (retrying SQLite's busy answers, each organisation's writes in order).
"""

from __future__ import annotations

import asyncio
import hashlib
import importlib
import inspect
import sqlite3
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import OperationFailure

CONCURRENCY = 4  # writes in flight at once (two cores; SQLite has one writer)

Document = dict[str, Any]
Log = Callable[[str], None]

# The service databases, and the parts of each (timed separately).
PARTS: dict[str, tuple[str, ...]] = {
    "needs": ("needs", "buyer_inbox"),
    "suppliers": ("supplier_inbox", "solutions", "subscriptions", "profiles"),
}


# --- the services' storage code, found where it is today ---------------------------------


def _first_found(attr: str, modules: Iterable[str]) -> Any:
    """The suppliers' adapters are being reorganised: take a builder from wherever it is."""
    tried = []
    for name in modules:
        try:
            module = importlib.import_module(name)
        except ImportError as exc:
            tried.append(f"{name} ({exc})")
            continue
        if hasattr(module, attr):
            return getattr(module, attr)
        tried.append(f"{name} (no {attr})")
    raise RuntimeError(f"cannot find {attr}; tried {', '.join(tried)}")


def storage() -> SimpleNamespace:
    from needs.adapters.repository import InboxRepository, need_to_doc

    sup = "suppliers.adapters."
    return SimpleNamespace(
        need_to_doc=need_to_doc,
        BuyerInbox=InboxRepository,
        solution_state=_first_found(
            "solution_state", [sup + "catalogue", sup + "solutions", sup + "repository"]
        ),
        subscription_state=_first_found(
            "subscription_state", [sup + "subscriptions", sup + "repository"]
        ),
        events=_first_found("solution_published", [sup + "events"]).__module__,
        SupplierInbox=_first_found("MongoInbox", [sup + "inbox", sup + "repository"]),
        Profiles=_first_found("MongoProfiles", [sup + "catalogue", sup + "profiles"]),
        from_match=_first_found("from_match", ["suppliers.domain.inbox"]),
        from_alert=_first_found("from_alert", ["suppliers.domain.inbox"]),
    )


def builders_fingerprint(s: SimpleNamespace) -> str:
    """A hash of the storage code the documents were built with: a later run warns when
    it changed (the cached documents may then differ from what the code writes now)."""
    sources = set()
    for value in vars(s).values():
        module = importlib.import_module(value) if isinstance(value, str) else None
        try:
            sources.add(inspect.getsource(module or inspect.getmodule(value) or value))
        except (OSError, TypeError):
            continue
    return hashlib.sha256("".join(sorted(sources)).encode()).hexdigest()[:16]


# --- FerretDB's lookup indexes ----------------------------------------------------------

LOOKUP_INDEX = 'CREATE INDEX IF NOT EXISTS "{t}_id_lookup" ON "{t}" (_ferretdb_sjson->\'$._id\')'


def repair_lookup_indexes(size: int) -> list[str]:
    """Give every collection of the size's databases the index FerretDB 1.24 looks `_id` up
    with, where it is missing; returns the tables that lacked it.

    The project's keeper (deploy/local/ferretdb/lookup_index.go) adds that index to new
    tables, but remembers the tables it indexed by name, per file, for the life of the
    FerretDB process: a collection dropped and created again (a reseed) gets a table of the
    same name, the keeper skips it, and every lookup by `_id` reads the whole table (here:
    200 ms per update at 10 000 inbox entries instead of 3 ms). This applies the keeper's
    own statement to what it skipped; only for the local FerretDB on SQLite (a MongoDB
    needs none of it), and it changes nothing clients see.
    """
    from bench.common import scale_database_files

    repaired = []
    for name in database_names(size).values():
        path = scale_database_files() / f"{name}.sqlite"
        if not path.exists():
            continue
        with sqlite3.connect(path, timeout=30) as db:
            tables = [row[0] for row in db.execute("SELECT table_name FROM _ferretdb_collections")]
            indexes = {row[0] for row in db.execute("SELECT name FROM sqlite_master")}
            for table in tables:
                if f"{table}_id_lookup" not in indexes:
                    db.execute(LOOKUP_INDEX.format(t=table.replace('"', '""')))
                    repaired.append(f"{name}.{table}")
    return repaired


# --- the databases of one size -----------------------------------------------------------


def database_names(size: int) -> dict[str, str]:
    return {kind: f"scale{size}_{kind}" for kind in ("needs", "suppliers", "seed")}


@dataclass
class Databases:
    client: AsyncMongoClient[Document]
    size: int

    def __getitem__(self, kind: str) -> AsyncDatabase[Document]:
        return self.client[database_names(self.size)[kind]]

    async def marker(self) -> Document | None:
        return await self["seed"]["marker"].find_one({"_id": "marker"})

    async def save_marker(self, marker: Document) -> None:
        await self["seed"]["marker"].replace_one({"_id": "marker"}, marker, upsert=True)

    async def drop_all(self) -> None:
        for name in database_names(self.size).values():
            await self.client.drop_database(name)

    async def drop(self, kind: str) -> None:
        """A service database, and what the seed database keeps for it."""
        await self.client.drop_database(database_names(self.size)[kind])
        await self["seed"]["topics"].delete_many({"database": kind})
        await self["seed"]["reads"].delete_many({"database": kind})

    async def topic_events(self, topic: str) -> list[str]:
        """The events seeded for a topic, in the order they were stored: the batches' ids
        first, then each batch by `_id` (FerretDB 1.x sorts in memory and answers a sorted
        find in one reply, which at 100 000 needs passes MongoDB's 48 MB message limit)."""
        batches = self["seed"]["topics"]
        ids = sorted([d["_id"] async for d in batches.find({"topic": topic}, {"_id": 1})])
        out: list[str] = []
        for batch_id in ids:
            doc = await batches.find_one({"_id": batch_id})
            if doc is not None:
                out.extend(doc["events"])
        return out

    async def samples(self) -> dict[str, Any]:
        return {d["_id"]: d["values"] async for d in self["seed"]["samples"].find({})}


# --- timing and writing politely ----------------------------------------------------------


@dataclass
class Stopwatch:
    """Seconds and documents per part; the parts written while the data are generated
    count only their own waits."""

    seconds: Counter[str] = field(default_factory=Counter)
    docs: Counter[str] = field(default_factory=Counter)

    async def timed(self, part: str, work: Awaitable[Any], docs: int = 0) -> Any:
        started = time.perf_counter()
        try:
            return await work
        finally:
            self.seconds[part] += time.perf_counter() - started
            self.docs[part] += docs

    def report(self, part: str) -> Document:
        seconds, docs = self.seconds[part], self.docs[part]
        rate = round(docs / seconds) if seconds > 0 else None
        return {"seconds": round(seconds, 1), "docs": docs, "docs_per_s": rate}


async def when_not_busy(job: Callable[[], Awaitable[Any]], attempts: int = 8) -> Any:
    """Run a write again when FerretDB's SQLite was busy with another writer (it answers
    SQLITE_BUSY instead of waiting); every write retried here is idempotent."""
    for attempt in range(1, attempts + 1):
        try:
            return await job()
        except OperationFailure as exc:
            if "SQLITE_BUSY" not in str(exc) or attempt == attempts:
                raise
            await asyncio.sleep(0.05 * 2**attempt)
    raise AssertionError("unreachable")


async def per_org_in_order(jobs_by_org: dict[str, list[Callable[[], Awaitable[Any]]]]) -> None:
    """Each organisation's jobs one after the other (its inbox order is one document
    chain), a few organisations at a time."""
    gate = asyncio.Semaphore(CONCURRENCY)

    async def one_org(jobs: list[Callable[[], Awaitable[Any]]]) -> None:
        async with gate:
            for job in jobs:
                await when_not_busy(job)

    await asyncio.gather(*(one_org(jobs) for jobs in jobs_by_org.values()))
