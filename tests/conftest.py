from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from pymongo import AsyncMongoClient

from tests.support.infra import setting, unique


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
