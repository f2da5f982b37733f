"""In-process fan-out of new inbox entries to the live streams (server-sent events).

Fed by the consumers after an entry is stored; a slow listener loses entries beyond its
buffer (it can read them from GET /v1/inbox) rather than slowing the consumer down.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any


class Broadcaster:
    def __init__(self, buffer: int = 100) -> None:
        self.buffer = buffer
        self._listeners: defaultdict[str, set[asyncio.Queue[dict[str, Any]]]] = defaultdict(set)
        self.dropped = 0

    def publish(self, org: str, entry: dict[str, Any]) -> None:
        for queue in list(self._listeners.get(org, ())):
            try:
                queue.put_nowait(entry)
            except asyncio.QueueFull:
                self.dropped += 1

    def listeners(self, org: str) -> int:
        return len(self._listeners.get(org, ()))

    @asynccontextmanager
    async def listen(self, org: str) -> AsyncIterator[asyncio.Queue[dict[str, Any]]]:
        queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(self.buffer)
        self._listeners[org].add(queue)
        try:
            yield queue
        finally:
            self._listeners[org].discard(queue)
            if not self._listeners[org]:
                self._listeners.pop(org, None)
