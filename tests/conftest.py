from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from pymongo import AsyncMongoClient

from tests.support.infra import TEST_TOPIC, delete_topics, setting, topic_names, unique

log = logging.getLogger(__name__)


@pytest.fixture(scope="session", autouse=True)
def delete_the_sessions_topics() -> Iterator[None]:
    """Delete the topics this session's tests made, so a broker that outlives many sessions
    does not pile up partitions (about 20 000 of them ran Kafka out of file handles here).
    Only cleanup: a test that needs the broker fails on its own when it is not there."""
    try:
        bootstrap = setting("KAFKA_BOOTSTRAP_SERVERS")
        before = asyncio.run(topic_names(bootstrap))
    except Exception as exc:
        log.info("no topic cleanup this session: %s", exc)
        yield
        return
    yield
    try:
        made = {t for t in asyncio.run(topic_names(bootstrap)) - before if TEST_TOPIC.match(t)}
        if made:
            asyncio.run(delete_topics(bootstrap, made))
    except Exception as exc:
        log.warning("could not delete this session's topics: %s", exc)


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
