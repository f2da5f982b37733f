"""The local FerretDB's lookup-index keeper (deploy/local/ferretdb/lookup_index.go) gives
every collection table an index on the expression FerretDB 1.24 looks `_id` up with, also
for a database dropped and made again under the same name (its tables come back with the
same names and without the index; a lookup by `_id` would then read the whole table)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from pymongo import AsyncMongoClient

from tests.support.infra import unique

pytestmark = pytest.mark.infra

ROOT = Path(__file__).resolve().parents[2]


def data_dir() -> Path:
    state = Path(os.environ.get("MARKETPLACE_STATE", ROOT / ".local"))
    path = state / "ferretdb" / "data"
    assert path.is_dir(), f"no local FerretDB data directory at {path}: run `make infra`"
    return path


def lookup_indexes(path: Path) -> set[str]:
    # Closed at once: an open reader would stand in the way of FerretDB dropping the file.
    with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db:
        rows = db.execute("SELECT name FROM sqlite_master WHERE type = 'index'").fetchall()
    return {name for (name,) in rows if name.endswith("_id_lookup")}


async def indexed_soon(path: Path, timeout: float = 15) -> set[str]:
    deadline = asyncio.get_running_loop().time() + timeout
    while asyncio.get_running_loop().time() < deadline:
        if path.exists() and (found := lookup_indexes(path)):
            return found
        await asyncio.sleep(0.25)
    return set()


async def test_a_database_made_again_under_its_name_gets_its_lookup_index_again(
    mongo_client: AsyncMongoClient[dict[str, Any]],
) -> None:
    name = unique("lookup").replace("-", "_")
    path = data_dir() / f"{name}.sqlite"
    await mongo_client[name]["things"].insert_many([{"_id": i} for i in range(10)])
    first = await indexed_soon(path)
    assert len(first) == 1, first
    await mongo_client.drop_database(name)
    await mongo_client[name]["things"].insert_many([{"_id": i} for i in range(10)])
    assert await indexed_soon(path) == first
