"""A list page reads a need again only when the listing holds a newer version (no I/O)."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

from needs.domain.listing import NeedListing, listed_after
from needs.domain.model import Need
from needs.service.handlers import NeedsService

NOW = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


class CountingNeeds:
    """Stands in for NeedsRepository.get_many, counting what it is asked for."""

    def __init__(self) -> None:
        self.stored: dict[str, Need] = {}
        self.asked: list[str] = []

    async def get_many(self, ids: list[str]) -> list[Need | None]:
        self.asked += ids
        return [self.stored.get(i) for i in ids]


def published() -> tuple[Need, list[Any]]:
    need = Need.draft(
        buyer_org="karlstad",
        by="anna",
        now=NOW,
        title="Träning för vårdpersonal",
        problem="Personalen behöver öva bemötande.",
        cpv_codes=["80500000"],
        municipality_code="1780",
    )
    need.publish(org="karlstad", by="anna", now=NOW)
    return need, need.take_events()


async def test_a_page_is_read_once_until_the_listing_holds_a_newer_version() -> None:
    listing, repo = NeedListing(), CountingNeeds()
    service = NeedsService(repo, None, None, listing)  # type: ignore[arg-type]
    need, events = published()
    for event in events:
        service.apply_to_listing(event, NOW)
    repo.stored[need.id] = copy.deepcopy(need)

    page = await service.search(cpv=None, region=None, phase=None, q=None, cursor=None, limit=5)
    assert [n.id for n in page.items] == [need.id] and repo.asked == [need.id]
    await service.search(cpv=None, region=None, phase=None, q=None, cursor=None, limit=5)
    assert repo.asked == [need.id]  # the same version: not read again

    # Another instance moves it on: its event reaches this listing through Kafka.
    need.move_to("validation", org="karlstad", by="anna", now=NOW, reason=None)
    for event in need.take_events():
        entry = listed_after(event, listing.get(need.id), event_time=NOW)
        assert entry is not None
        listing.put(entry)
    repo.stored[need.id] = need
    page = await service.search(cpv=None, region=None, phase=None, q=None, cursor=None, limit=5)
    assert repo.asked == [need.id, need.id]
    assert page.items[0].phase == "validation"
