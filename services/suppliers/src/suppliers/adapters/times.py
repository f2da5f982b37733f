"""The times that orders reference their entries by.

An `OrgOrder` keys each entry by (created time, id) and keeps entries in chunks that begin
at a time. Two entries of one order with the same time on either side of a chunk's start
come out of `OrgOrder.page` in chunk order rather than key order, and a page that ends
between them skips or repeats one. So the entries of one order get distinct times here:
at least a millisecond after the last one this process gave it (the writer lease keeps the
writes of a database to one process), and in milliseconds, as the database stores them, so
that a reference's time and its document's agree to the last digit.
"""

from __future__ import annotations

from datetime import datetime, timedelta

MILLISECOND = timedelta(milliseconds=1)


def to_millisecond(at: datetime) -> datetime:
    return at.replace(microsecond=at.microsecond // 1000 * 1000)


class DistinctTimes:
    def __init__(self) -> None:
        self._last: dict[str, datetime] = {}

    def next(self, order: str, at: datetime) -> datetime:
        """A time for a new entry of `order`: `at` in milliseconds, or just after the last."""
        given = to_millisecond(at)
        last = self._last.get(order)
        if last is not None and given <= last:
            given = last + MILLISECOND
        self._last[order] = given
        return given
