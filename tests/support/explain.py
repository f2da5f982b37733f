"""Which recorded `find` commands the database reads a whole collection for (its explain)."""

from __future__ import annotations

from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

EXPLAINED = ("find", "filter", "projection", "sort", "limit")


async def scans(db: AsyncDatabase[dict[str, Any]], finds: list[dict[str, Any]]) -> list[Any]:
    """(collection, filter, sort) of each `find` whose plan is not pushed down to an index:
    on FerretDB 1.x, anything but a filter on `_id` alone."""
    out = []
    for command in finds:
        plan = await db.command({"explain": {k: v for k, v in command.items() if k in EXPLAINED}})
        if not plan.get("filterPushdown"):
            out.append((command["find"], command.get("filter"), command.get("sort")))
    return out
