from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from pymongo import AsyncMongoClient

from tests.support.infra import (
    MADE_NAMES,
    database_names,
    delete_topics,
    drop_databases,
    made_here,
    setting,
    topic_names,
    unique,
)

log = logging.getLogger(__name__)


@pytest.fixture(scope="session", autouse=True)
def delete_what_the_session_made() -> Iterator[None]:
    """Delete the topics and databases named by this session's `unique` names, so
    infrastructure that outlives many sessions does not pile them up (about 20 000 leftover
    partitions ran Kafka out of file handles here; FerretDB keeps every database's file
    open). Only cleanup: a test that needs the infrastructure fails on its own."""
    yield
    if not MADE_NAMES:
        return
    try:
        bootstrap, mongodb_url = setting("KAFKA_BOOTSTRAP_SERVERS"), setting("MONGODB_URL")
        topics = {t for t in asyncio.run(topic_names(bootstrap)) if made_here(t)}
        asyncio.run(delete_topics(bootstrap, topics))
        databases = {d for d in asyncio.run(database_names(mongodb_url)) if made_here(d)}
        asyncio.run(drop_databases(mongodb_url, databases))
    except Exception as exc:
        log.warning("could not delete what this session made: %s", exc)


@pytest.fixture(scope="session")
def kafka_bootstrap() -> str:
    return setting("KAFKA_BOOTSTRAP_SERVERS")


@pytest.fixture(scope="session")
def mongodb_url() -> str:
    return setting("MONGODB_URL")


@pytest.fixture
def topic_prefix() -> str:
    """Topics of their own for each test, so tests share the broker but not its topics."""
    return unique("t")


@pytest.fixture
async def mongo_client(mongodb_url: str) -> AsyncIterator[AsyncMongoClient[dict[str, Any]]]:
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(
        mongodb_url, serverSelectionTimeoutMS=5000, tz_aware=True
    )
    await client.admin.command("ping")  # fail loudly when the database is not there
    yield client
    await client.close()
