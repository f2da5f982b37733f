"""In-process fan-out of new inbox entries to the live streams of this instance."""

from __future__ import annotations

import asyncio
import contextlib
from collections import defaultdict
from collections.abc import Iterator
from typing import Any

Document = dict[str, Any]


class InboxBroadcaster:
    """Each open stream holds a bounded queue per organisation; a slow reader loses only
    live pushes (it still finds the entries in its inbox), never blocks the consumer."""

    def __init__(self, queue_size: int = 256) -> None:
        self.queue_size = queue_size
        self._queues: defaultdict[str, set[asyncio.Queue[Document]]] = defaultdict(set)

    @contextlib.contextmanager
    def listen(self, org: str) -> Iterator[asyncio.Queue[Document]]:
        queue: asyncio.Queue[Document] = asyncio.Queue(self.queue_size)
        self._queues[org].add(queue)
        try:
            yield queue
        finally:
            self._queues[org].discard(queue)
            if not self._queues[org]:
                self._queues.pop(org, None)

    def publish(self, org: str, entry: Document) -> int:
        delivered = 0
        for queue in list(self._queues.get(org, ())):
            with contextlib.suppress(asyncio.QueueFull):
                queue.put_nowait(entry)
                delivered += 1
        return delivered

    def listeners(self, org: str) -> int:
        return len(self._queues.get(org, ()))
