"""List pages are answered from cards: a published need's card follows its events in the
listing and is never read from the database; a draft's card comes with its reference in
the buyer's order, and only a need whose reference has none is read (no I/O here)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from marketplace_contracts.text.summary import summary_of
from marketplace_platform.org_order import Ref
from needs.adapters.repository import card_doc, card_from_doc, need_to_doc
from needs.domain.listing import NeedCard, NeedListing, listed_after
from needs.domain.model import Need
from needs.service.handlers import Actor, NeedsService

NOW = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
PROBLEM = (
    "Personalen inom äldreomsorgen behöver öva bemötande av personer med demenssjukdom "
    "i svåra situationer, utan att det går ut över brukarna. Idag sker övningen på "
    "arbetsplatsträffar med rollspel, vilket är svårt att schemalägga för nattpersonal "
    "och vikarier. Vi söker ett sätt att träna som går att göra när det passar, på "
    "svenska och andra språk som personalen talar, och som går att följa upp."
)


class CountingNeeds:
    """Stands in for NeedsRepository's reads, counting the needs it is asked for."""

    def __init__(self) -> None:
        self.stored: dict[str, Need] = {}
        self.carded: set[str] = set()  # whose references carry their cards
        self.asked: list[str] = []

    async def get_many(self, ids: list[str]) -> list[Need | None]:
        self.asked += ids
        return [self.stored.get(i) for i in ids]

    async def own_refs(
        self, org: str, *, after: tuple[float, str] | None, limit: int
    ) -> tuple[list[Ref], bool]:
        own = sorted(
            (n for n in self.stored.values() if n.buyer_org == org),
            key=lambda n: (-n.created_at.timestamp(), n.id),
        )
        cards = {n.id: self._card(n) for n in own if n.id in self.carded}
        refs = [Ref(n.id, n.created_at.timestamp(), False, cards.get(n.id)) for n in own]
        return refs[:limit], len(refs) > limit

    def cards_in(self, refs: list[Ref]) -> dict[str, NeedCard]:
        return {r.entry_id: card_from_doc(r.card) for r in refs if r.card is not None}

    @staticmethod
    def _card(need: Need) -> dict[str, Any]:
        return card_doc(need_to_doc(need))


def drafted(title: str, at: datetime) -> Need:
    return Need.draft(
        buyer_org="karlstad",
        by="anna",
        now=at,
        title=title,
        problem=PROBLEM,
        cpv_codes=["80500000"],
        municipality_code="1780",
    )


def publish_into(service: NeedsService, need: Need, at: datetime) -> None:
    need.publish(org="karlstad", by="anna", now=at)
    for event in need.take_events():
        service.apply_to_listing(event, at)


def search(service: NeedsService) -> Any:
    return service.search(cpv=None, region=None, phase=None, q=None, cursor=None, limit=5)


async def test_a_search_page_reads_nothing_and_shows_each_needs_card() -> None:
    listing, repo = NeedListing(), CountingNeeds()
    service = NeedsService(repo, None, None, listing)  # type: ignore[arg-type]
    need = drafted("Träning för vårdpersonal", NOW)
    publish_into(service, need, NOW)
    repo.stored[need.id] = need

    page = await search(service)
    card = page.items[0]
    assert repo.asked == []
    assert (card.need_id, card.title, card.phase, card.status) == (
        need.id,
        "Träning för vårdpersonal",
        "hypothesis",
        "published",
    )
    assert card.summary == summary_of(PROBLEM) and card.summary.endswith("…")
    assert card.cpv_codes == ("80500000",) and card.municipality_code == "1780"
    assert card.published_at == NOW and card.organisations == 1


async def test_a_card_follows_the_events_another_instance_wrote() -> None:
    listing, repo = NeedListing(), CountingNeeds()
    service = NeedsService(repo, None, None, listing)  # type: ignore[arg-type]
    need = drafted("Träning för vårdpersonal", NOW)
    publish_into(service, need, NOW)

    later = NOW + timedelta(hours=1)
    need.move_to("validation", org="karlstad", by="anna", now=later, reason=None)
    need.cosign(org="hammaro", by="bo", now=later, municipality_code="1715")
    for event in need.take_events():
        entry = listed_after(event, listing.get(need.id), event_time=later)
        assert entry is not None
        listing.put(entry)

    card = (await search(service)).items[0]
    assert repo.asked == []
    assert (card.phase, card.version, card.organisations) == ("validation", need.version, 2)
    assert card.updated_at == later and card.published_at == NOW


async def test_mine_reads_only_the_needs_neither_the_listing_nor_a_card_holds() -> None:
    listing, repo = NeedListing(), CountingNeeds()
    service = NeedsService(repo, None, None, listing)  # type: ignore[arg-type]
    public = drafted("Publicerat behov", NOW)
    publish_into(service, public, NOW)
    carded = drafted("Utkast med kort", NOW + timedelta(minutes=1))
    legacy = drafted("Utkast från förr", NOW + timedelta(minutes=2))  # before cards were kept
    repo.stored = {n.id: n for n in (public, carded, legacy)}
    repo.carded = {public.id, carded.id}

    page = await service.mine(Actor(org="karlstad", subject="anna"), cursor=None, limit=10)
    assert [c.need_id for c in page.items] == [legacy.id, carded.id, public.id]  # newest first
    assert [c.status for c in page.items] == ["draft", "draft", "published"]
    assert repo.asked == [legacy.id]
    shown = page.items[1]
    assert (shown.title, shown.summary, shown.organisations) == (
        "Utkast med kort",
        summary_of(PROBLEM),
        1,
    )
    assert shown.cpv_codes == ("80500000",) and shown.municipality_code == "1780"


async def test_a_published_needs_card_comes_from_the_listing_not_its_older_reference() -> None:
    listing, repo = NeedListing(), CountingNeeds()
    service = NeedsService(repo, None, None, listing)  # type: ignore[arg-type]
    need = drafted("Behov", NOW)
    repo.stored, repo.carded = {need.id: need}, {need.id}
    drafted_card = repo._card(need)
    publish_into(service, need, NOW)
    repo._card = lambda _n: drafted_card  # type: ignore[method-assign]  # as it was drafted

    page = await service.mine(Actor(org="karlstad", subject="anna"), cursor=None, limit=10)
    assert [c.status for c in page.items] == ["published"] and repo.asked == []
