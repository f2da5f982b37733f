"""Handlers: one per command or event. Load the aggregate, call the domain, save state and
events in one write, then hand the events to the relay so they are on Kafka on return."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

from marketplace_contracts.cursors import read_cursor, time_key
from marketplace_contracts.cursors import time_cursor as cursor_of
from marketplace_contracts.events import CloudEvent, MatchFound, Payload, ScalingOpportunity
from marketplace_contracts.process import PHASES, WITHDRAWN
from marketplace_contracts.reference import (
    InvalidCpvCode,
    UnknownRegion,
    normalize_cpv,
    parse_region,
    significant_prefix,
)
from marketplace_contracts.text.search import query_term_groups
from marketplace_platform.concurrency import retry_on_conflict
from marketplace_platform.live import InboxBroadcaster
from marketplace_platform.outbox import ConcurrentModification, OutboxRelay
from marketplace_platform.runtime import BatchItem

from ..adapters.repository import (
    ADOPTIONS,
    NEEDS,
    AdoptionsRepository,
    AlreadyExists,
    InboxRepository,
    NeedsRepository,
)
from ..domain.errors import InvalidInput, NotFoundError, NotPermitted, RuleConflict
from ..domain.listing import (
    Key,
    ListQuery,
    NeedCard,
    NeedListing,
    card_of_need,
    listed_after,
)
from ..domain.model import Adoption, Need

Document = dict[str, Any]
T = TypeVar("T")
ATTEMPTS = 3


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Actor:
    org: str
    subject: str
    municipality_code: str | None = None


@dataclass(frozen=True)
class Page:
    items: list[NeedCard]
    next: str | None  # the cursor of the next page; None on the last one


class NeedsService:
    def __init__(
        self,
        needs: NeedsRepository,
        adoptions: AdoptionsRepository,
        relay: OutboxRelay,
        listing: NeedListing,
        *,
        clock: Callable[[], datetime] = utc_now,
        release_of: Callable[[Need, list[Payload]], Awaitable[Payload | None]] | None = None,
    ) -> None:
        self.needs = needs
        # The open-data release of a change (OCDS), written with the change's own events.
        self.release_of = release_of
        self.adoptions = adoptions
        self.relay = relay
        self.listing = listing
        self.clock = clock

    def apply_to_listing(self, payload: Payload, at: datetime) -> None:
        """One event of the needs topic (or of this instance's own write) into the list."""
        entry = listed_after(payload, self.listing.get(payload.partition_key()), event_time=at)
        if entry is not None:
            self.listing.put(entry)

    # --- reads ---------------------------------------------------------------------------

    async def get(self, need_id: str, actor: Actor) -> Need:
        found = await self.needs.get(need_id)
        if found is None or not found[0].visible_to(actor.org):
            raise NotFoundError(f"no need {need_id!r} is visible to {actor.org}")
        return found[0]

    async def mine(self, actor: Actor, cursor: str | None, limit: int) -> Page:
        """The caller's own needs, drafts included, newest created first: their order is
        read from the database with their cards; the published ones' cards come from the
        listing, and a need is read only when its reference has no card (made before cards
        were kept)."""
        after = _read_cursor(cursor)
        refs, more = await self.needs.own_refs(actor.org, after=after, limit=limit)
        held = {r.entry_id: e.card() for r in refs if (e := self.listing.get(r.entry_id))}
        held = {**self.needs.cards_in(refs), **held}  # the listing's are as new or newer
        missing = [r.entry_id for r in refs if r.entry_id not in held]
        for need in await self.needs.get_many(missing):
            if need is not None:
                held[need.id] = card_of_need(need)
        cards = [held[r.entry_id] for r in refs if r.entry_id in held]
        last = refs[-1] if refs and more else None
        return Page(cards, cursor_of((-last.created_ts, last.entry_id)) if last else None)

    async def search(
        self,
        *,
        cpv: str | None,
        region: str | None,
        phase: str | None,
        q: str | None,
        cursor: str | None,
        limit: int,
    ) -> Page:
        """Published needs, newest first, answered from the in-memory listing alone."""
        query = list_query(cpv=cpv, region=region, phase=phase, q=q)
        ids, more = self.listing.page(query, after=_read_cursor(cursor), limit=limit)
        cards = [entry.card() for i in ids if (entry := self.listing.get(i)) is not None]
        return Page(cards, cursor_of(self.listing.key_of(ids[-1])) if more else None)

    # --- commands ------------------------------------------------------------------------

    async def create(self, actor: Actor, fields: dict[str, Any]) -> Need:
        fields = dict(fields)
        need = Need.draft(
            buyer_org=actor.org,
            by=actor.subject,
            now=self.clock(),
            title=fields.pop("title"),
            problem=fields.pop("problem"),
            cpv_codes=fields.pop("cpv_codes"),
            municipality_code=fields.pop("municipality_code"),
            **fields,
        )
        await self.needs.save(need, None)
        return need

    async def _change(
        self, need_id: str, actor: Actor, change: Callable[[Need], T]
    ) -> tuple[Need, T]:
        """Load, apply, save with optimistic concurrency (retried), publish the events."""

        async def attempt() -> tuple[Need, T, list[Payload]]:
            found = await self.needs.get(need_id)
            if found is None or not found[0].visible_to(actor.org):
                raise NotFoundError(f"no need {need_id!r} is visible to {actor.org}")
            need, rev = found
            result = change(need)
            events = list(need.pending)
            release = await self.release_of(need, events) if events and self.release_of else None
            if release is not None:
                need.pending.append(release)
            await self.needs.save(need, rev)
            return need, result, events

        need, result, events = await retry_on_conflict(
            attempt, attempts=ATTEMPTS, conflict=ConcurrentModification
        )
        if events:
            # The buyer sees its change in the list at once; Kafka brings the same
            # events to every other instance (and here again, ignored by version).
            for payload in events:
                self.apply_to_listing(payload, need.updated_at)
            await self.relay.publish_pending(NEEDS, need.id)
        return need, result

    async def publish(self, need_id: str, actor: Actor) -> Need:
        need, _ = await self._change(
            need_id, actor, lambda n: n.publish(org=actor.org, by=actor.subject, now=self.clock())
        )
        return need

    async def edit(self, need_id: str, actor: Actor, changes: dict[str, Any]) -> Need:
        need, _ = await self._change(
            need_id,
            actor,
            lambda n: n.edit(org=actor.org, by=actor.subject, now=self.clock(), changes=changes),
        )
        return need

    async def move(self, need_id: str, actor: Actor, phase: str, reason: str | None) -> Need:
        need, _ = await self._change(
            need_id,
            actor,
            lambda n: n.move_to(
                phase, org=actor.org, by=actor.subject, now=self.clock(), reason=reason
            ),
        )
        return need

    async def withdraw(self, need_id: str, actor: Actor, reason: str | None) -> Need:
        need, _ = await self._change(
            need_id,
            actor,
            lambda n: n.withdraw(org=actor.org, by=actor.subject, now=self.clock(), reason=reason),
        )
        return need

    async def cosign(self, need_id: str, actor: Actor, municipality_code: str | None) -> Need:
        code = municipality_code or actor.municipality_code
        need, _ = await self._change(
            need_id,
            actor,
            lambda n: n.cosign(
                org=actor.org, by=actor.subject, now=self.clock(), municipality_code=code
            ),
        )
        return need

    async def record_implementation(self, need_id: str, actor: Actor, solution_id: str) -> Need:
        need, _ = await self._change(
            need_id,
            actor,
            lambda n: n.record_implementation(
                org=actor.org, by=actor.subject, now=self.clock(), solution_id=solution_id
            ),
        )
        return need

    async def record_adoption(
        self,
        actor: Actor,
        solution_id: str,
        need_id: str | None,
        municipality_code: str | None,
    ) -> Adoption:
        need = await self.get(need_id, actor) if need_id else None
        code = municipality_code or actor.municipality_code
        if code is None and need is not None:
            code = next((c.municipality_code for c in need.cosigners if c.org == actor.org), None)
        adoption, event = Adoption.record(
            buyer_org=actor.org,
            by=actor.subject,
            now=self.clock(),
            solution_id=solution_id,
            need=need,
            municipality_code=code,
        )
        try:
            await self.adoptions.add(adoption, [event])
        except AlreadyExists:
            raise RuleConflict(
                f"{actor.org} has already recorded an adoption of solution {solution_id}",
                field="solution_id",
            ) from None
        await self.relay.publish_pending(ADOPTIONS, adoption.id)
        return adoption


def list_query(
    *, cpv: str | None, region: str | None, phase: str | None, q: str | None
) -> ListQuery:
    """The list filters of the API, validated, each naming its field when it is refused."""
    if phase and phase not in (*PHASES, WITHDRAWN):
        raise InvalidInput(
            f"unknown phase {phase!r}; phases are {', '.join([*PHASES, WITHDRAWN])}",
            field="phase",
        )
    counties: tuple[str, ...] = ()
    municipality_code = None
    if region:
        try:
            parsed = parse_region(region)
        except UnknownRegion as exc:
            raise InvalidInput(str(exc), field="region") from None
        if parsed.kind == "nuts":
            counties = parsed.county_codes
        elif parsed.kind == "county":
            counties = (parsed.code,)
        elif parsed.kind == "municipality":
            municipality_code = parsed.code
    return ListQuery(
        phase=phase or None,
        cpv_prefix=cpv_search_prefix(cpv) if cpv else None,
        county_codes=counties,
        municipality_code=municipality_code,
        term_groups=query_term_groups(q),
    )


def _read_cursor(cursor: str | None) -> Key | None:
    return read_cursor(cursor, time_key, lambda message: InvalidInput(message, field="cursor"))


def cpv_search_prefix(value: str) -> str:
    """ "805" stays a prefix; "80500000" or "80500000-9" stands for its significant prefix."""
    raw = value.strip()
    if raw.isdigit() and 2 <= len(raw) < 8:
        return raw
    try:
        return significant_prefix(normalize_cpv(raw))
    except InvalidCpvCode as exc:
        raise InvalidInput(
            f"{exc}; or give two to seven digits as a prefix (e.g. '805')", field="cpv"
        ) from None


class InboxService:
    """Consumes match.found and scaling.opportunity into the buyer inbox (idempotently)."""

    def __init__(
        self,
        inbox: InboxRepository,
        needs: NeedsRepository,
        broadcaster: InboxBroadcaster,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.inbox = inbox
        self.needs = needs
        self.broadcaster = broadcaster
        self.clock = clock

    async def on_match_found(self, payload: MatchFound, event: CloudEvent) -> None:
        entry = await self.inbox.upsert_match(payload, self.clock())
        self.broadcaster.publish(payload.buyer_org, entry)

    async def on_match_batch(self, items: list[BatchItem]) -> None:
        found = [i.payload for i in items if isinstance(i.payload, MatchFound)]
        for entry in await self.inbox.upsert_matches(found, self.clock()):
            self.broadcaster.publish(entry["buyer_org"], entry)

    async def on_scaling_opportunity(self, payload: ScalingOpportunity, event: CloudEvent) -> None:
        entry = await self.inbox.upsert_opportunity(payload, self.clock())
        self.broadcaster.publish(payload.buyer_org, entry)

    async def on_scaling_batch(self, items: list[BatchItem]) -> None:
        found = [i.payload for i in items if isinstance(i.payload, ScalingOpportunity)]
        for entry in await self.inbox.upsert_opportunities(found, self.clock()):
            self.broadcaster.publish(entry["buyer_org"], entry)

    async def entries(
        self, actor: Actor, *, unread_only: bool, cursor: str | None = None, limit: int
    ) -> tuple[list[Document], str | None]:
        """A page of the caller's inbox, newest first, and the cursor of the next page."""
        after = _read_cursor(cursor)
        docs, more = await self.inbox.entries(
            actor.org,
            unread_only=unread_only,
            after=(-after[0], after[1]) if after else None,
            limit=limit,
        )
        last = docs[-1] if docs and more else None
        return docs, cursor_of((-last["created_at"].timestamp(), last["_id"])) if last else None

    async def mark_read(self, actor: Actor, entry_id: str) -> Document:
        doc = await self.inbox.mark_read(actor.org, entry_id, self.clock())
        if doc is None:
            raise NotFoundError(f"no inbox entry {entry_id!r} for {actor.org}")
        return doc

    async def matches(self, need_id: str, actor: Actor) -> list[Document]:
        """Ranked solutions for a need: its owner and co-signers may read them."""
        found = await self.needs.get(need_id)
        if found is None or not found[0].visible_to(actor.org):
            raise NotFoundError(f"no need {need_id!r} is visible to {actor.org}")
        need = found[0]
        if not (need.is_owner(actor.org) or need.has_cosigned(actor.org)):
            raise NotPermitted("only the owner and the co-signers of a need see its matches")
        best: dict[str, Document] = {}
        for doc in await self.inbox.matches_of(need_id):
            kept = best.get(doc["solution_id"])
            if kept is None or doc["score"] > kept["score"]:
                best[doc["solution_id"]] = doc
        return sorted(best.values(), key=lambda d: (-float(d["score"]), d["solution_id"]))
