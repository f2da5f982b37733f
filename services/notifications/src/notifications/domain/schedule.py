"""When a digest goes out: at a local hour in the contact's time zone, daily or weekly.

Pure functions of an instant; the caller passes the clock's `now`, so tests choose it.
A notice waiting for a digest belongs to the first period whose send time is after it
arrived; the period's key (`daily:2026-12-07`) names the one digest that carries it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from marketplace_platform.errors import Invalid

DigestCadence = Literal["daily", "weekly"]


@dataclass(frozen=True)
class DigestSlot:
    key: str
    due_at: datetime  # UTC


def zone(name: str, field: str = "time_zone") -> ZoneInfo:
    """An IANA time zone, refused by name when unknown ("Europe/Stockholm")."""
    if name not in _zone_names():
        raise Invalid("must be an IANA time zone such as Europe/Stockholm", field=field, value=name)
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:  # listed but not loadable
        raise Invalid("unknown time zone", field=field, value=name) from exc


_ZONES: frozenset[str] = frozenset()


def _zone_names() -> frozenset[str]:
    global _ZONES  # noqa: PLW0603 - read from tzdata once, on first use
    if not _ZONES:
        _ZONES = frozenset(available_timezones())
    return _ZONES


def _local_send_time(day: date, hour: int, tz: ZoneInfo) -> datetime:
    # A wall-clock time that does not exist (spring forward) is read by zoneinfo with
    # fold=0 as the offset before the change, which lands an hour later: still that day.
    return datetime.combine(day, time(hour), tzinfo=tz).astimezone(UTC)


def next_slot(
    after: datetime,
    cadence: DigestCadence,
    tz: ZoneInfo,
    *,
    hour: int,
    weekday: int = 0,
) -> DigestSlot:
    """The first digest sent strictly after `after` (an aware instant)."""
    local = after.astimezone(tz)
    day = local.date()
    for _ in range(9):  # a week and a DST change at most
        if cadence == "weekly" and day.weekday() != weekday:
            day += timedelta(days=1)
            continue
        due = _local_send_time(day, hour, tz)
        if due > after:
            key = f"{cadence}:{day.isoformat()}"
            return DigestSlot(key, due)
        day += timedelta(days=1)
    raise AssertionError("a send time exists within nine days")  # pragma: no cover
