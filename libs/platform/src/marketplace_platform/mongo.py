"""Database plumbing: PyMongo's AsyncMongoClient (motor's official successor)."""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import Any, TypeVar

from pymongo import AsyncMongoClient
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import BulkWriteError, DuplicateKeyError

from .settings import ServiceSettings

Document = dict[str, Any]


def create_client(settings: ServiceSettings) -> AsyncMongoClient[Document]:
    return AsyncMongoClient(
        settings.mongodb_url,
        serverSelectionTimeoutMS=3000,
        connectTimeoutMS=3000,
        tz_aware=True,
        appname=f"marketplace-{settings.service_name}",
    )


def database(
    client: AsyncMongoClient[Document], settings: ServiceSettings
) -> AsyncDatabase[Document]:
    return client[settings.database_name]


async def ping(client: AsyncMongoClient[Document], timeout: float = 1.5) -> bool:
    try:
        await asyncio.wait_for(client.admin.command("ping"), timeout)
        return True
    except Exception:
        return False


T = TypeVar("T")
DUPLICATE_KEY = 11000


async def retry_upsert(operation: Callable[[], Awaitable[T]], attempts: int = 4) -> T:
    """Run an upsert, again if it loses a race.

    Two concurrent upserts of one `_id` can both find nothing and both insert; the loser
    gets E11000 (MongoDB documents this and asks the application to retry; FerretDB does it
    more often). Running the upsert again finds the document and takes the update path.
    """
    for attempt in range(1, attempts + 1):
        try:
            return await operation()
        except DuplicateKeyError:
            if attempt == attempts:
                raise
            await asyncio.sleep(0.005 * attempt)
    raise AssertionError("unreachable")


async def insert_absent(
    collection: AsyncCollection[Document], docs: Sequence[Document]
) -> set[Any]:
    """Insert the documents whose `_id` is not there yet, in one round trip; return the
    `_id`s that were there already. For "remember this was done" markers and for entries
    written in batches: no upsert race, and an unordered insert reports each duplicate as
    E11000 instead of failing the batch."""
    if not docs:
        return set()
    try:
        await collection.insert_many(list(docs), ordered=False)
        return set()
    except BulkWriteError as exc:
        errors = exc.details.get("writeErrors", [])
        if any(e.get("code") != DUPLICATE_KEY for e in errors):
            raise
        return {docs[e["index"]]["_id"] for e in errors}


async def upsert_many(
    collection: AsyncCollection[Document],
    docs: Sequence[Document],
    on_insert: Document,
) -> list[Document]:
    """Write entries keyed by `_id` in few round trips: one unordered insert for the new
    ones (with `on_insert`, e.g. created_at and an unread flag), then a `$set` of the
    given fields for those that existed (a replay or a re-ranking: rare). Returns every
    entry as stored. The last of several docs with one `_id` wins, as in sequence."""
    latest: dict[Any, Document] = {}
    for doc in docs:
        latest[doc["_id"]] = doc
    existing = await insert_absent(collection, [{**on_insert, **doc} for doc in latest.values()])
    stored: list[Document] = []
    for doc_id, doc in latest.items():
        if doc_id not in existing:
            stored.append({**on_insert, **doc})
            continue
        fields = {k: v for k, v in doc.items() if k != "_id"}
        await collection.update_one({"_id": doc_id}, {"$set": fields})
        found = await collection.find_one({"_id": doc_id})
        stored.append(found if found is not None else {**on_insert, **doc})
    return stored


_atomic_updates: dict[int, bool] = {}


async def filters_and_updates_are_atomic(client: AsyncMongoClient[Document]) -> bool:
    """False on FerretDB 1.x, true on MongoDB (asked once per client).

    FerretDB 1.x runs an update as a read and then a write of the whole document, and
    pushes only a filter on `_id` alone down to its storage: any other filter is matched
    by reading every document of the collection (measured at 10 000 documents: 1.4 to 82
    ms by `_id`, 400 to 670 ms by `_id` and one more field). There a guarded update
    costs a scan and guards nothing across processes.
    """
    key = id(client)
    if key not in _atomic_updates:
        info = await client.server_info()
        _atomic_updates[key] = "ferretdbVersion" not in info
    return _atomic_updates[key]


_document_locks: dict[tuple[str, Any], asyncio.Lock] = {}
_document_waiters: Counter[tuple[str, Any]] = Counter()


@contextlib.asynccontextmanager
async def document_lock(collection: AsyncCollection[Document], doc_id: Any) -> AsyncIterator[None]:
    """Serialise this process's writes to one document (FerretDB 1.x updates are a read then
    a write; see `filters_and_updates_are_atomic`). The lock is dropped when nobody holds or
    awaits it, so the table stays as small as the writes in flight."""
    key = (collection.full_name, doc_id)
    lock = _document_locks.setdefault(key, asyncio.Lock())
    _document_waiters[key] += 1
    try:
        async with lock:
            yield
    finally:
        _document_waiters[key] -= 1
        if _document_waiters[key] == 0:
            del _document_waiters[key]
            _document_locks.pop(key, None)


async def guarded_update(
    collection: AsyncCollection[Document], doc_id: Any, expected: Document, update: Document
) -> bool:
    """Apply `update` to the document `doc_id` if its fields still hold the `expected`
    values (compare-and-set); true if it did.

    On MongoDB this is one update filtered on `_id` and the expected fields: atomic across
    processes. On FerretDB 1.x such a filter reads the whole collection and is not atomic
    anyway, so the check is a lookup by `_id`, then the write by `_id`, both under this
    process's lock of the document: atomic within the process, not across processes. A
    missing field matches an expected None, as in a MongoDB filter.
    """
    async with document_lock(collection, doc_id):
        return await guarded_update_locked(collection, doc_id, expected, update)


async def guarded_update_locked(
    collection: AsyncCollection[Document], doc_id: Any, expected: Document, update: Document
) -> bool:
    """`guarded_update` for a caller that holds the document's lock already (and writes
    something else under it first)."""
    if await filters_and_updates_are_atomic(collection.database.client):
        result = await collection.update_one({"_id": doc_id, **expected}, update)
        return result.matched_count == 1
    held = await collection.find_one({"_id": doc_id}, dict.fromkeys(expected, 1))
    if held is None or any(held.get(field) != value for field, value in expected.items()):
        return False
    await collection.update_one({"_id": doc_id}, update)
    return True


ONE_OFF_JOBS = "_one_off_jobs"


async def run_once(
    db: AsyncDatabase[Document],
    job_name: str,
    job: Callable[[], Awaitable[int]],
    *,
    done_before: Callable[[], Awaitable[bool]] | None = None,
) -> int:
    """Run a one-off job of a database (a backfill for documents older than a field or a
    collection) the first time only: later starts read one marker by `_id` instead of
    scanning again (on FerretDB 1.x a filter such as `{field: {$exists: false}}` decodes
    the whole collection). `done_before`: whether a database of an older release shows
    the job done its own way (a marker it kept elsewhere); then the job is only marked.
    Returns what the job returned, or 0 when it had run before. A crash before the marker
    runs the job again, so the job must be idempotent. A new version of a job (one whose
    result changed) takes a new name."""
    markers = db[ONE_OFF_JOBS]
    if await markers.find_one({"_id": job_name}) is not None:
        return 0
    done = 0 if done_before is not None and await done_before() else await job()
    await retry_upsert(
        lambda: markers.replace_one({"_id": job_name}, {"_id": job_name, "done": done}, upsert=True)
    )
    return done
