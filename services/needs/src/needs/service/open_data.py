"""Open data: the OCDS releases of published needs, built on each change, and served.

`OpenData.release_of` is called by the needs handlers inside the write of a change: the
release goes out through the same outbox as the need's own events, to the `ocds` topic.
`on_released` keeps what that topic carries, for the release and record packages.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from marketplace_contracts.cursors import read_cursor, time_cursor, time_key
from marketplace_contracts.events import (
    AdoptionRecorded,
    OcdsReleased,
    Payload,
    SolutionRetired,
    SolutionState,
)
from marketplace_platform.runtime import BatchItem

from ..adapters.ocds import OCDS_VERSION, OcdsRepository, compile_release
from ..domain.errors import InvalidInput, NotFoundError
from ..domain.model import Need
from ..domain.ocds import OcdsMapping, SolutionRef, ocds_date, released

Document = dict[str, Any]


class SolutionDirectory:
    """Each solution's name and supplier, from the solutions topic (compacted full
    state): what an award release names."""

    def __init__(self) -> None:
        self._held: dict[str, SolutionRef] = {}

    def apply(self, payload: Payload) -> None:
        if isinstance(payload, SolutionState):
            self._held[payload.solution_id] = SolutionRef(payload.name, payload.supplier_org)
        # A retired solution stays named: a need implemented with it still was.
        elif isinstance(payload, SolutionRetired) and payload.solution_id not in self._held:
            self._held[payload.solution_id] = SolutionRef(payload.solution_id, payload.supplier_org)

    def get(self, solution_id: str) -> SolutionRef | None:
        return self._held.get(solution_id)


@dataclass(frozen=True)
class Publisher:
    """Who publishes the packages, and under which licence."""

    name: str
    uri: str | None = None
    license: str | None = None
    publication_policy: str | None = None


@dataclass(frozen=True)
class ReleasePage:
    releases: list[Document]
    published: datetime
    next: str | None


class OpenData:
    def __init__(
        self,
        repository: OcdsRepository,
        mapping: OcdsMapping,
        publisher: Publisher,
        solutions: SolutionDirectory,
        *,
        catch_up: Callable[[], Awaitable[None]] | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.repository = repository
        self.mapping = mapping
        self.publisher = publisher
        self.solutions = solutions
        # Waits until the directory holds every solution published so far.
        self.catch_up = catch_up
        self.clock = clock

    async def release_of(self, need: Need, events: list[Payload]) -> OcdsReleased | None:
        """The release of one change (None for a draft's). An implementation of a solution
        the directory does not hold yet (published a moment ago) waits for it first."""
        implemented = any(isinstance(e, AdoptionRecorded) for e in events)
        unknown = any(self.solutions.get(i.solution_id) is None for i in need.implementations)
        if implemented and unknown and self.catch_up is not None:
            await self.catch_up()
        return released(
            need, events, at=need.updated_at, mapping=self.mapping, solution=self.solutions.get
        )

    async def on_released(self, payload: OcdsReleased, event: Any) -> None:
        await self.repository.store([payload])

    async def on_released_batch(self, items: list[BatchItem]) -> None:
        await self.repository.store(
            [i.payload for i in items if isinstance(i.payload, OcdsReleased)]
        )

    # --- reads ---------------------------------------------------------------------------

    async def releases(
        self, *, since: datetime | None, cursor: str | None, limit: int
    ) -> ReleasePage:
        after = read_cursor(cursor, time_key, lambda message: InvalidInput(message, field="cursor"))
        found, key = await self.repository.page(since=since, after=after, limit=limit)
        return ReleasePage(found, self._published(found), time_cursor(key) if key else None)

    async def record(self, ocid: str) -> tuple[Document, datetime]:
        """The record of one ocid (its releases and their compiled release)."""
        releases = await self.repository.releases_of(ocid)
        if not releases:
            raise NotFoundError(f"no published need has the ocid {ocid!r}")
        compiled = compile_release(releases)
        record = {"ocid": ocid, "releases": releases, "compiledRelease": compiled}
        return record, self._published(releases)

    def package(self, uri: str, published: datetime) -> Document:
        """What a release or a record package says of itself."""
        publisher: Document = {"name": self.publisher.name}
        if self.publisher.uri:
            publisher["uri"] = self.publisher.uri
        package: Document = {
            "uri": uri,
            "version": OCDS_VERSION,
            "publisher": publisher,
            "publishedDate": ocds_date(published),
        }
        if self.publisher.license:
            package["license"] = self.publisher.license
        if self.publisher.publication_policy:
            package["publicationPolicy"] = self.publisher.publication_policy
        return package

    def _published(self, releases: list[Document]) -> datetime:
        """A package made on demand is dated by the last change it shows (OCDS)."""
        dates = [datetime.fromisoformat(r["date"].replace("Z", "+00:00")) for r in releases]
        return max(dates) if dates else self.clock()
