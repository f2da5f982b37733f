"""Database plumbing: PyMongo's AsyncMongoClient (motor's official successor)."""

from __future__ import annotations

import asyncio
from typing import Any

from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase

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
