"""The OCDS releases the needs service serves as open data, and their compilation.

Releases arrive from the `ocds` topic (the needs service's own outbox put them there):
each is stored by its release id, so a redelivery stores nothing twice. Three collections,
each read by `_id` alone (FerretDB 1.x reads a whole collection for any other filter):

- `ocds_releases`: one document per release;
- `ocds_records`: per ocid, the ids of its releases;
- `ocds_feed`: every release in order of its date (`OrgOrder` under one key), each
  reference carrying its release (as JSON text) as its card: a page of 50 reads the feed's
  head and a few chunks, not 50 releases. Measured with bench/bench_ocds.py on FerretDB 1.x
  (SQLite): 50 release documents read by `_id` took 270-370 ms, the same 50 as JSON-text
  cards 80-90 ms; a first page at 100 000 releases takes 103 ms median (48 ms at 1 000).

A record's compiled release is merged with ocdsmerge, its merge rules taken from the
shipped OCDS 1.1.5 release schema (no network).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from datetime import datetime
from functools import cache
from importlib import resources
from typing import Any

import ocdsmerge
from pymongo.asynchronous.database import AsyncDatabase

from marketplace_contracts.events import OcdsReleased
from marketplace_platform.mongo import document_lock, insert_absent, retry_upsert
from marketplace_platform.org_order import OrgOrder, order_ts

Document = dict[str, Any]

OCDS_VERSION = "1.1"
SCHEMA_PATCH = "1.1.5"
RELEASES = "ocds_releases"
RECORDS = "ocds_records"
FEED = "ocds_feed"
FEED_KEY = "releases"  # the one "organisation" of the feed's order


def schema(name: str) -> Document:
    """One of the shipped OCDS schemas ("release-schema.json", ...)."""
    files = resources.files("needs.adapters") / "ocds_schema" / SCHEMA_PATCH
    loaded: Document = json.loads((files / name).read_text(encoding="utf-8"))
    return loaded


@cache
def merger() -> ocdsmerge.Merger:
    return ocdsmerge.Merger(schema=schema("release-schema.json"))


def compile_release(releases: list[Document]) -> Document:
    """The compiled release of one ocid's releases (any order: ocdsmerge sorts by date)."""
    compiled: Document = merger().create_compiled_release(releases)
    return compiled


class OcdsRepository:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self.releases = db[RELEASES]
        self.records = db[RECORDS]
        self.feed = OrgOrder(db[FEED], cards=True)

    async def store(self, items: Sequence[OcdsReleased]) -> None:
        """Keep releases (a batch of the topic); one stored before is left as it was."""
        if not items:
            return
        latest = {item.release_id: item for item in items}
        await insert_absent(
            self.releases,
            [
                {
                    "_id": item.release_id,
                    "ocid": item.ocid,
                    "need_id": item.need_id,
                    "date": item.date,
                    "release": _json(item.release),
                }
                for item in latest.values()
            ],
        )
        by_ocid: dict[str, list[OcdsReleased]] = {}
        for item in latest.values():
            by_ocid.setdefault(item.ocid, []).append(item)
        await asyncio.gather(*(self._record(ocid, found) for ocid, found in by_ocid.items()))
        # Last: a crash before it leaves the release out of the feed until its redelivery,
        # which `add` then puts in its place, once.
        await self.feed.add(
            FEED_KEY,
            [(item.release_id, item.date) for item in latest.values()],
            cards={item.release_id: {"json": _json(item.release)} for item in latest.values()},
        )

    async def _record(self, ocid: str, items: list[OcdsReleased]) -> None:
        async with document_lock(self.records, ocid):
            doc = await self.records.find_one({"_id": ocid})
            held: list[str] = list(doc["release_ids"]) if doc else []
            new = [i.release_id for i in items if i.release_id not in held]
            if not new:
                return
            state = {
                "_id": ocid,
                "need_id": items[0].need_id,
                "release_ids": [*held, *new],
                "updated": max(i.date for i in items),
            }
            await retry_upsert(lambda: self.records.replace_one({"_id": ocid}, state, upsert=True))

    async def page(
        self, *, since: datetime | None, after: tuple[float, str] | None, limit: int
    ) -> tuple[list[Document], tuple[float, str] | None]:
        """Releases newest first (dated at `since` or later), and the key after the last
        one when more follow."""
        if since is None:
            refs, more = await self.feed.page(FEED_KEY, unread_only=False, after=after, limit=limit)
        else:
            # One more than the page: whether the next one is still at `since` or later.
            refs, _ = await self.feed.page(
                FEED_KEY, unread_only=False, after=after, limit=limit + 1
            )
            refs = [r for r in refs if r.created_ts >= order_ts(since)]
            more, refs = len(refs) > limit, refs[:limit]
        releases = [_parsed(r.card["json"]) for r in refs if r.card is not None]
        last = refs[-1] if refs and more else None
        return releases, (last.created_ts, last.entry_id) if last else None

    async def releases_of(self, ocid: str) -> list[Document] | None:
        """Every release of one ocid, oldest first; None for an ocid never released."""
        record = await self.records.find_one({"_id": ocid})
        if record is None:
            return None
        docs = await asyncio.gather(
            *(self.releases.find_one({"_id": i}) for i in record["release_ids"])
        )
        found = [d for d in docs if d is not None]
        found.sort(key=lambda d: (d["date"], d["_id"]))
        return [_parsed(d["release"]) for d in found]


def _json(release: Document) -> str:
    """A release kept as its JSON text: FerretDB 1.x decodes a document field by field on
    every read, and one string costs it far less than the few hundred fields of a release."""
    return json.dumps(release, ensure_ascii=False, separators=(",", ":"))


def _parsed(kept: str | Document) -> Document:
    """A kept release; one kept as a document (before the JSON text) as it is."""
    parsed: Document = json.loads(kept) if isinstance(kept, str) else kept
    return parsed
