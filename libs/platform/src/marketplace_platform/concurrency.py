"""Optimistic concurrency: load, change, save guarded by what was read, again on a lost race."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")


async def retry_on_conflict(
    attempt: Callable[[], Awaitable[T]],
    *,
    attempts: int,
    conflict: type[BaseException],
    exhausted: Callable[[], BaseException] | None = None,
) -> T:
    """Await `attempt()` (a whole load-change-save) until it does not raise `conflict`, at
    most `attempts` times; its result is returned, any other error raised at once.

    After the last conflict, `exhausted()` is raised from it when given, else the last
    conflict itself.
    """
    if attempts < 1:
        raise ValueError("attempts must be at least 1")
    for remaining in range(attempts - 1, -1, -1):
        try:
            return await attempt()
        except conflict as lost:
            if remaining:
                continue
            if exhausted is None:
                raise
            raise exhausted() from lost
    raise AssertionError("unreachable")
