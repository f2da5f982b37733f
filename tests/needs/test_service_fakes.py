"""The needs service layer (`NeedsService`, `InboxService`) on in-memory fakes of its
repositories and relay: fast, no Kafka, no database."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from marketplace_contracts.events import MatchFound, MatchReason, NeedCosigned, NeedPhaseChanged
from marketplace_platform.live import InboxBroadcaster
from marketplace_platform.outbox import ConcurrentModification
from needs.domain.errors import (
    IllegalPhaseMove,
    InvalidInput,
    NotFoundError,
    NotPermitted,
    RuleConflict,
)
from needs.domain.listing import NeedListing
from needs.service.handlers import ATTEMPTS, Actor, InboxService, NeedsService
from tests.needs.fakes import FakeAdoptions, FakeInbox, FakeNeeds, FakeRelay

START = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
OWNER = Actor(org="karlstad", subject="anna", municipality_code="1780")
OTHER = Actor(org="hammaro", subject="bo", municipality_code="1761")
FIELDS: dict[str, Any] = {
    "title": "Träning för vårdpersonal",
    "problem": "Personalen behöver öva bemötande vid demens.",
    "cpv_codes": ["80500000-9"],
    "municipality_code": "1780",
}


class Clock:
    """A second later on every reading, so that creation order is strict and known."""

    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        self.now += timedelta(seconds=1)
        return self.now


class World:
    def __init__(self) -> None:
        self.clock: Callable[[], datetime] = Clock()
        self.needs = FakeNeeds()
        self.adoptions = FakeAdoptions()
        self.relay = FakeRelay.over(self.needs, self.adoptions)
        self.listing = NeedListing()
        self.service = NeedsService(
            self.needs,  # type: ignore[arg-type]
            self.adoptions,  # type: ignore[arg-type]
            self.relay,  # type: ignore[arg-type]
            self.listing,
            clock=self.clock,
        )
        self.inbox_repo = FakeInbox()
        self.inbox = InboxService(
            self.inbox_repo,  # type: ignore[arg-type]
            self.needs,  # type: ignore[arg-type]
            InboxBroadcaster(),
            clock=self.clock,
        )

    async def published(self, actor: Actor = OWNER, **changes: Any) -> str:
        need = await self.service.create(actor, {**FIELDS, **changes})
        await self.service.publish(need.id, actor)
        return need.id


@pytest.fixture
def world() -> World:
    return World()


def match(need_id: str, solution_id: str, score: float, buyer: str = "karlstad") -> MatchFound:
    return MatchFound(
        match_id=f"m-{need_id}-{solution_id}",
        need_id=need_id,
        need_version=1,
        need_title="Träning för vårdpersonal",
        buyer_org=buyer,
        solution_id=solution_id,
        solution_version=1,
        solution_name=f"Lösning {solution_id}",
        supplier_org="virotea",
        score=score,
        reasons=[MatchReason(component="cpv", score=0.8, detail="CPV group 805")],
    )


# --- NeedsService ---------------------------------------------------------------------------


async def test_a_draft_is_stored_unpublished_with_no_event_and_hidden_from_others(
    world: World,
) -> None:
    need = await world.service.create(OWNER, FIELDS)

    stored, rev = await world.needs.get(need.id) or pytest.fail("not stored")
    assert (stored.status, stored.phase, stored.cpv_codes, rev) == (
        "draft",
        "hypothesis",
        ["80500000"],
        1,
    )
    assert world.needs.outbox[need.id] == [] and world.relay.sent == []
    assert (await world.service.get(need.id, OWNER)).id == need.id
    with pytest.raises(NotFoundError):
        await world.service.get(need.id, OTHER)


async def test_publishing_stores_the_event_with_the_state_and_relays_it(world: World) -> None:
    need = await world.service.create(OWNER, FIELDS)
    published = await world.service.publish(need.id, OWNER)

    assert (published.status, published.version) == ("published", 1)
    assert world.relay.calls == [("needs", need.id)]
    assert [(topic, e.type, e.subject) for topic, e in world.relay.sent] == [
        ("needs", "need.published.v1", need.id)
    ]
    assert world.needs.outbox[need.id] == []  # sent, so no longer pending
    page = await world.service.search(
        cpv="805", region=None, phase=None, q=None, cursor=None, limit=5
    )
    assert [n.need_id for n in page.items] == [need.id]
    with pytest.raises(RuleConflict):
        await world.service.publish(need.id, OWNER)


async def test_a_phase_move_forward_is_an_event_and_a_refused_one_changes_nothing(
    world: World,
) -> None:
    need_id = await world.published()
    moved = await world.service.move(need_id, OWNER, "validation", None)
    assert (moved.phase, moved.version) == ("validation", 2)
    event = world.relay.sent[-1][1].payload()
    assert isinstance(event, NeedPhaseChanged)
    assert (event.from_phase, event.to_phase) == ("hypothesis", "validation")

    sent, (_, rev) = len(world.relay.sent), await world.needs.get(need_id) or pytest.fail()
    with pytest.raises(IllegalPhaseMove) as skipped:
        await world.service.move(need_id, OWNER, "procurement", "in a hurry")
    assert skipped.value.field == "phase"
    with pytest.raises(InvalidInput) as back:
        await world.service.move(need_id, OWNER, "hypothesis", "  ")
    assert back.value.field == "reason"
    with pytest.raises(NotPermitted):
        await world.service.move(need_id, OTHER, "co-creation", None)
    held, rev_after = await world.needs.get(need_id) or pytest.fail()
    assert (held.phase, rev_after, len(world.relay.sent)) == ("validation", rev, sent)


async def test_cosigning_counts_the_organisations_and_is_refused_to_the_owner(
    world: World,
) -> None:
    need_id = await world.published()
    cosigned = await world.service.cosign(need_id, OTHER, None)
    assert [(c.org, c.municipality_code) for c in cosigned.cosigners] == [("hammaro", "1761")]
    event = world.relay.sent[-1][1].payload()
    assert isinstance(event, NeedCosigned)
    assert (event.cosigner_org, event.organisations, event.version) == ("hammaro", 2, 2)

    with pytest.raises(RuleConflict, match="owner"):
        await world.service.cosign(need_id, OWNER, None)
    with pytest.raises(RuleConflict, match="already co-signed"):
        await world.service.cosign(need_id, OTHER, None)
    draft = await world.service.create(OWNER, FIELDS)
    with pytest.raises(NotFoundError):  # another buyer cannot even see a draft
        await world.service.cosign(draft.id, OTHER, None)


async def test_a_withdrawn_need_leaves_the_list_and_can_no_longer_change(world: World) -> None:
    need_id = await world.published()
    withdrawn = await world.service.withdraw(need_id, OWNER, "budget cut")
    assert (withdrawn.status, withdrawn.phase) == ("withdrawn", "withdrawn")
    assert world.relay.types()[-1] == "need.withdrawn.v1"

    page = await world.service.search(
        cpv=None, region=None, phase=None, q=None, cursor=None, limit=5
    )
    assert page.items == []
    with pytest.raises(RuleConflict, match="withdrawn"):
        await world.service.move(need_id, OWNER, "validation", None)
    with pytest.raises(RuleConflict, match="withdrawn"):
        await world.service.cosign(need_id, OTHER, None)


async def test_mine_pages_the_own_needs_newest_first_with_a_cursor(world: World) -> None:
    mine = [(await world.service.create(OWNER, FIELDS)).id for _ in range(5)]
    await world.published(OTHER, municipality_code="1761")  # not in karlstad's list
    await world.service.publish(mine[1], OWNER)  # drafts and published ones alike

    pages, cursor = [], None
    while True:
        page = await world.service.mine(OWNER, cursor, 2)
        pages.append([n.need_id for n in page.items])
        if page.next is None:
            break
        cursor = page.next
    newest_first = mine[::-1]
    assert pages == [newest_first[0:2], newest_first[2:4], newest_first[4:5]]
    with pytest.raises(InvalidInput) as bad:
        await world.service.mine(OWNER, "not-a-cursor", 2)
    assert bad.value.field == "cursor"


async def test_a_change_that_lost_a_race_is_retried_on_the_fresh_need(world: World) -> None:
    need_id = await world.published()

    async def another_buyer_cosigns_meanwhile() -> None:
        other, rev = await world.needs.get(need_id) or pytest.fail()
        other.cosign(org="hammaro", by="bo", now=START, municipality_code="1761")
        await world.needs.save(other, rev)

    world.needs.interfere.append(another_buyer_cosigns_meanwhile)
    gets = world.needs.gets
    moved = await world.service.move(need_id, OWNER, "validation", None)

    assert world.needs.gets - gets == 3  # the first attempt, the interference, the retry
    assert moved.phase == "validation" and [c.org for c in moved.cosigners] == ["hammaro"]
    held, rev = await world.needs.get(need_id) or pytest.fail()
    assert (held.phase, held.version, rev) == ("validation", 3, 4)
    # The lost attempt's event was never stored; the retry's follows the cosign.
    pending = [e.type for _, e in world.needs.outbox[need_id]] + world.relay.types()
    assert sorted(pending) == sorted(
        ["need.published.v1", "need.cosigned.v1", "need.phase-changed.v1"]
    )


async def test_a_change_that_keeps_losing_gives_up_after_the_attempts(world: World) -> None:
    need_id = await world.published()

    async def someone_edits_meanwhile() -> None:
        other, rev = await world.needs.get(need_id) or pytest.fail()
        other.edit(org="karlstad", by="eva", now=START, changes={"title": other.title + "!"})
        await world.needs.save(other, rev)

    world.needs.interfere += [someone_edits_meanwhile] * ATTEMPTS
    with pytest.raises(ConcurrentModification):
        await world.service.move(need_id, OWNER, "validation", None)
    held, _ = await world.needs.get(need_id) or pytest.fail()
    assert held.phase == "hypothesis" and held.title.endswith("!" * ATTEMPTS)
    assert world.needs.interfere == []


async def test_an_adoption_is_recorded_once_per_organisation_and_solution(world: World) -> None:
    adoption = await world.service.record_adoption(OTHER, "s-1", None, None)
    assert adoption.municipality_code == "1761"
    assert world.relay.calls[-1] == ("adoptions", adoption.id)
    assert [(t, e.type) for t, e in world.relay.sent] == [("adoptions", "adoption.recorded.v1")]

    with pytest.raises(RuleConflict) as again:
        await world.service.record_adoption(OTHER, "s-1", None, None)
    assert again.value.field == "solution_id"
    assert len(world.relay.sent) == 1


# --- InboxService ------------------------------------------------------------------------


async def test_the_inbox_pages_newest_first_and_only_the_buyers_own(world: World) -> None:
    for n in range(5):
        await world.inbox.on_match_found(match(f"n{n}", "s1", 0.5), None)  # type: ignore[arg-type]
    await world.inbox.on_match_found(match("x", "s1", 0.9, buyer="hammaro"), None)  # type: ignore[arg-type]

    seen, cursor = [], None
    while True:
        docs, cursor = await world.inbox.entries(OWNER, unread_only=False, cursor=cursor, limit=2)
        seen.append([d["need_id"] for d in docs])
        if cursor is None:
            break
    assert seen == [["n4", "n3"], ["n2", "n1"], ["n0"]]
    others, _ = await world.inbox.entries(OTHER, unread_only=False, limit=10)
    assert [d["need_id"] for d in others] == ["x"]


async def test_mark_read_keeps_through_a_replay_and_hides_from_unread(world: World) -> None:
    found = match("n1", "s1", 0.5)
    await world.inbox.on_match_found(found, None)  # type: ignore[arg-type]
    await world.inbox.on_match_found(match("n2", "s1", 0.5), None)  # type: ignore[arg-type]

    read = await world.inbox.mark_read(OWNER, found.match_id)
    assert read["read"] is True and read["read_at"] is not None
    with pytest.raises(NotFoundError):
        await world.inbox.mark_read(OTHER, found.match_id)

    await world.inbox.on_match_found(found.model_copy(update={"score": 0.7}), None)  # type: ignore[arg-type]
    docs, _ = await world.inbox.entries(OWNER, unread_only=False, limit=10)
    assert [(d["need_id"], d["read"], d["score"]) for d in docs] == [
        ("n2", False, 0.5),
        ("n1", True, 0.7),  # re-ranked in place: one entry, still read, still where it was
    ]
    unread, _ = await world.inbox.entries(OWNER, unread_only=True, limit=10)
    assert [d["need_id"] for d in unread] == ["n2"]


async def test_a_needs_matches_are_ranked_for_its_owner_and_cosigners_only(world: World) -> None:
    need_id = await world.published()
    for solution, score in (("s1", 0.4), ("s2", 0.9), ("s3", 0.6)):
        await world.inbox.on_match_found(match(need_id, solution, score), None)  # type: ignore[arg-type]

    ranked = await world.inbox.matches(need_id, OWNER)
    assert [(d["solution_id"], d["score"]) for d in ranked] == [
        ("s2", 0.9),
        ("s3", 0.6),
        ("s1", 0.4),
    ]
    with pytest.raises(NotPermitted):
        await world.inbox.matches(need_id, OTHER)
    await world.service.cosign(need_id, OTHER, None)
    assert len(await world.inbox.matches(need_id, OTHER)) == 3
