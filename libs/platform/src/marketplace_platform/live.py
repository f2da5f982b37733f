"""In-process fan-out of new inbox entries to the live streams (server-sent events).

The consumers publish an entry here after storing it. Each open stream holds a bounded
queue per organisation: a slow reader loses only live pushes beyond its buffer (it still
finds the entries in its inbox), and never slows the consumer down.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

Entry = dict[str, Any]


class InboxBroadcaster:
    def __init__(self, buffer: int = 256) -> None:
        self.buffer = buffer
        self._listeners: defaultdict[str, set[asyncio.Queue[Entry]]] = defaultdict(set)
        self.dropped = 0

    def publish(self, org: str, entry: Entry) -> int:
        """Hand the entry to every open stream of `org`; returns how many took it."""
        delivered = 0
        for queue in list(self._listeners.get(org, ())):
            try:
                queue.put_nowait(entry)
                delivered += 1
            except asyncio.QueueFull:
                self.dropped += 1
        return delivered

    def listeners(self, org: str) -> int:
        return len(self._listeners.get(org, ()))

    @asynccontextmanager
    async def listen(self, org: str) -> AsyncIterator[asyncio.Queue[Entry]]:
        queue: asyncio.Queue[Entry] = asyncio.Queue(self.buffer)
        self._listeners[org].add(queue)
        try:
            yield queue
        finally:
            self._listeners[org].discard(queue)
            if not self._listeners[org]:
                self._listeners.pop(org, None)
