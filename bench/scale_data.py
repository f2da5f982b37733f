"""The national marketplace in miniature: deterministic data for the scale benchmark.

The size, its organisations and the records yielded are `bench.scale_plan`'s. Everything
is made with the services' own domain code, so that what gets stored has the shape
production writes: `needs.domain.model.Need` and its commands (draft, publish, phase moves
back and forth, co-signing, implementation, withdrawal), `suppliers.domain` solutions and
subscriptions, and the matching service's own ranking and event builders for match.found,
alert.raised and scaling.opportunity. Texts, CPV topics and tags come from the matching
benchmark's corpus (`bench.common.corpus`).

`Marketplace.needs()` yields the needs in the order they were published, each with the
inbox entries its publication caused; what an implementation causes later (scaling
opportunities) carries its own time. Nothing here does I/O.
"""

from __future__ import annotations

import functools
import itertools
import math
import random
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from bench.scale_plan import (
    Buyer,
    NeedRecord,
    Opportunity,
    Plan,
    SeededSolution,
    SeededSubscription,
    Supplier,
    buyers,
    need_profile,
    new_id,
    real_cpv,
    solution_profile,
    spread,
    subscription_profile,
    suppliers,
)
from marketplace_contracts import events as ev
from marketplace_contracts.reference import all_counties, municipalities_in

T = TypeVar("T")

# Every match.found reaches both inboxes; the buyer's also gets scaling opportunities and
# the supplier's alerts, as many of each, so that both sides hold the national count.
SCALING_SHARE = 0.02
FIRST_NEED = datetime(2022, 1, 1, tzinfo=UTC)
FIRST_SOLUTION = datetime(2020, 1, 1, tzinfo=UTC)
MATCH_THRESHOLD = 0.3  # the matching service's default minimum score
RANKED = 16  # solutions ranked per published need: enough for its share of the inbox
MAX_SUBSCRIPTIONS_PER_SUPPLIER = 100  # as suppliers.service.subscriptions allows

FATES = {"draft": 10, "withdrawn": 5, "published": 85}
# The phase a published need has reached by now.
REACHED = {
    "hypothesis": 22,
    "validation": 22,
    "co-creation": 20,
    "procurement": 14,
    "implementation": 14,
    "scaling": 8,
}
FORWARD = ("hypothesis", "validation", "co-creation", "procurement")
COSIGNED_SHARE = 0.15
BACK_AND_FORTH_SHARE = 0.05
TARGET_GROUPS = (
    "äldre i hemtjänsten",
    "elever i grundskolan",
    "personal inom vård och omsorg",
    "nyanlända invånare",
    "personer med funktionsnedsättning",
    "unga vuxna",
    "medarbetare på förvaltningen",
    "residents of rural areas",
    "care staff on night shifts",
)
BACK_REASON = "Brukarna behöver pröva lösningarna igen innan vi går vidare"


@dataclass
class _Matched:
    """A need that matched a solution: a candidate for that solution's scaling
    opportunities once another buyer implements it."""

    need_id: str
    buyer_org: str
    title: str
    published_at: datetime
    score: float
    reasons: list[ev.MatchReason]


class Quota:
    """Spreads a total over many draws: each draw takes what it is owed so far, at most
    what it finds; finding (ranking, checking subscriptions) is skipped while nothing is
    owed."""

    def __init__(self, per_draw: float) -> None:
        self.per_draw = per_draw
        self.owed = 0.0

    def draw(self, find: Callable[[], list[T]]) -> list[T]:
        self.owed += self.per_draw
        if self.owed < 1:
            return []
        taken = find()[: math.floor(self.owed)]
        self.owed -= len(taken)
        return taken


class Marketplace:
    """All of one size, built on demand and deterministic for a seed."""

    def __init__(self, plan: Plan, end: datetime, seed: int = 15) -> None:
        from bench.common import corpus

        self.plan = plan
        self.end = end
        self.rng = random.Random(seed)
        self.buyers = buyers()
        self.suppliers = suppliers(self.rng, plan.suppliers)
        # Cumulative weights once, not per draw (the same draws as `weights=`).
        self._buyer_odds = list(itertools.accumulate(b.weight for b in self.buyers))
        self._supplier_odds = list(itertools.accumulate(s.weight for s in self.suppliers))
        self._solution_texts, self._need_texts = corpus(plan.solutions, plan.needs, seed)
        self.solutions = [self._solution(text) for text in self._solution_texts]
        self._subscriptions_of: defaultdict[str, int] = defaultdict(int)
        self.subscriptions = [self._subscription() for _ in range(plan.subscriptions)]
        self._by_solution_id = {s.solution.solution_id: s for s in self.solutions}
        self._matched: dict[str, list[_Matched]] = defaultdict(list)
        published_ever = plan.needs * (FATES["published"] + FATES["withdrawn"]) / 100
        side_extra = plan.inbox_per_side * SCALING_SHARE
        self._match_quota = Quota((plan.inbox_per_side - side_extra) / published_ever)
        self._alert_quota = Quota(side_extra / published_ever)
        self._implementations = max(1, round(plan.needs * REACHED_IMPLEMENTED_SHARE))
        self._opportunity_quota = Quota(side_extra / self._implementations)

    # --- solutions, subscriptions, profiles -------------------------------------------

    def _solution(self, text: Any) -> SeededSolution:
        from suppliers.domain import catalogue

        rng = self.rng
        supplier = rng.choices(self.suppliers, cum_weights=self._supplier_odds)[0]
        fields = {
            "name": text.name,
            "description": text.description,
            "cpv_codes": [real_cpv(c, rng) for c in text.cpv_codes],
            "regions": self._served_regions(supplier),
            "maturity": text.maturity,
            "tags": sorted(text.tags),
            "languages": [text.language] if text.language else [],
            "price_model": rng.choice((None, "abonnemang per användare", "licens per år")),
        }
        solution = catalogue.publish(new_id(rng), supplier.org, fields)
        created = spread(rng, FIRST_SOLUTION, self.end - timedelta(days=30))
        seeded = SeededSolution(solution, created, created)
        if rng.random() < 0.1:  # a supplier improved its description once
            seeded.solution = catalogue.update(
                solution, {"description": f"{text.description} Ny version med bättre stöd."}
            )
            seeded.updated_at = spread(rng, created, self.end)
            seeded.writes += 1
        if rng.random() < 0.03:
            seeded.solution = catalogue.retire(seeded.solution)
            seeded.updated_at = spread(rng, seeded.updated_at, self.end)
            seeded.writes += 1
        return seeded

    def _served_regions(self, supplier: Supplier) -> list[str]:
        rng = self.rng
        r = rng.random()
        if r < 0.4:
            return ["SE"]
        if r < 0.7:
            return [supplier.county]
        places = [m.code for m in municipalities_in(supplier.county)]
        return rng.sample(places, min(len(places), rng.randint(1, 3)))

    def _subscription(self) -> SeededSubscription:
        """Subscriptions of the suppliers (at most 100 each, as the service allows), on
        the CPV groups of their own solutions, some narrowed by county, keyword or phase."""
        from suppliers.domain import subscriptions

        rng = self.rng
        own = rng.choice(self.solutions).solution
        code = rng.choice(own.cpv_codes)
        criteria: dict[str, list[str] | None] = {
            "cpv_prefixes": [code[: rng.choice((3, 3, 4, 5))]],
            "regions": [rng.choice(all_counties()).code] if rng.random() < 0.5 else None,
            "keywords": [rng.choice(own.name.split()[1:] or ["digital"])]
            if rng.random() < 0.2
            else None,
            "phases": rng.sample(list(REACHED), 2) if rng.random() < 0.2 else None,
        }
        org = self._subscriber(own.supplier_org)
        subscription = subscriptions.subscribe(new_id(rng), org, **criteria)
        created = spread(rng, FIRST_NEED - timedelta(days=180), self.end - timedelta(days=7))
        seeded = SeededSubscription(subscription, created, created)
        if rng.random() < 0.05:
            seeded.subscription = subscriptions.delete(subscription)
            seeded.updated_at = spread(rng, created, self.end)
            seeded.writes += 1
        return seeded

    def _subscriber(self, preferred: str) -> str:
        """The solution's supplier, or a smaller one when it has its 100 subscriptions."""
        held = self._subscriptions_of
        org = preferred
        while held[org] >= MAX_SUBSCRIPTIONS_PER_SUPPLIER:
            org = self.rng.choice(self.suppliers).org
        held[org] += 1
        return org

    def profiles(self) -> Iterator[tuple[str, dict[str, Any], datetime]]:
        from suppliers.domain.profile import profile_fields

        for supplier in self.suppliers:
            fields = profile_fields(
                name=supplier.name,
                organisation_number=supplier.organisation_number,
                contact_email=f"anbud@{supplier.org}.se",
                contact_name="Försäljningsansvarig",
                contact_phone="+46 54 123 45 67",
                regions=[supplier.county],
            )
            yield supplier.org, fields, FIRST_SOLUTION

    # --- needs ---------------------------------------------------------------------------

    def needs(self) -> Iterator[NeedRecord]:
        """Every need, in the order of publication (drafts where they were drafted), with
        the matches and alerts its publication raised. Adds the deployments of the
        implementations to the solutions as it goes."""
        from matching.domain.solution_index import SolutionIndex
        from matching.domain.subscriptions import SubscriptionIndex

        index = SolutionIndex()
        for seeded in self.solutions:
            if seeded.solution.status == "published":
                index.upsert(solution_profile(seeded.solution))
        index.warm_up()
        watching = SubscriptionIndex()
        for seeded in self.subscriptions:
            if seeded.subscription.status == "active":
                watching.upsert(subscription_profile(seeded.subscription))
        self._index, self._watching = index, watching
        stories = sorted(
            (self._story(text) for text in self._need_texts),
            key=lambda s: s.first_public_moment(),
        )
        for story in stories:
            yield self._live(story)

    def _story(self, text: Any) -> _Story:
        rng = self.rng
        buyer = rng.choices(self.buyers, cum_weights=self._buyer_odds)[0]
        fate = rng.choices(list(FATES), list(FATES.values()))[0]
        reached = rng.choices(list(REACHED), list(REACHED.values()))[0]
        if fate == "draft":
            reached = rng.choice(("hypothesis", "hypothesis", "validation"))
        if fate == "withdrawn":
            reached = rng.choice(FORWARD)
        created = spread(rng, FIRST_NEED, self.end - timedelta(days=2))
        cosigners = []
        if fate != "draft" and rng.random() < COSIGNED_SHARE:
            others = [b for b in self.buyers if b.org != buyer.org]
            cosigners = rng.sample(others, rng.randint(1, 4))
        return _Story(
            need_id=new_id(rng),
            buyer=buyer,
            text=text,
            place=rng.choice(buyer.places),
            fate=fate,
            reached=reached,
            back_and_forth=rng.random() < BACK_AND_FORTH_SHARE,
            cosigners=cosigners,
            times=_timeline(rng, created, self.end, steps=16),
            extras=_need_extras(rng, text),
            cpv_codes=[real_cpv(c, rng) for c in text.cpv_codes],
        )

    def _live(self, story: _Story) -> NeedRecord:
        """Draft the need and run its commands; rank it when it is published."""
        from needs.domain.model import Need

        by = f"{story.buyer.org}:buyer"
        org = story.buyer.org
        clock = iter(story.times)
        need = Need.draft(
            buyer_org=org,
            by=by,
            now=next(clock),
            title=story.title(),
            problem=story.text.problem,
            cpv_codes=story.cpv_codes,
            municipality_code=story.place,
            need_id=story.need_id,
            **story.extras,
        )
        record = NeedRecord(need, writes=1, published_at=None)
        if story.fate == "draft":
            if story.reached == "validation":
                need.move_to("validation", org=org, by=by, now=next(clock), reason=None)
                record.writes += 1
            return record
        published_at = next(clock)
        need.publish(org=org, by=by, now=published_at)
        record.published_at = published_at
        record.writes += 1
        self._raise_matches_and_alerts(record)
        self._run_phases(story, record, clock)
        return record

    def _run_phases(self, story: _Story, record: NeedRecord, clock: Iterator[datetime]) -> None:
        need, org, by = record.need, story.buyer.org, f"{story.buyer.org}:buyer"
        path = list(REACHED)[: list(REACHED).index(story.reached) + 1]
        pending_cosigners = list(story.cosigners)
        went_back = False
        for phase in path[1:]:
            if pending_cosigners:  # co-signers join while the need is being explored
                self._cosign(record, pending_cosigners.pop(), next(clock))
            if phase == "implementation":
                self._implement(record, next(clock))
                continue
            need.move_to(phase, org=org, by=by, now=next(clock), reason=None)
            record.writes += 1
            if story.back_and_forth and not went_back and phase == "co-creation":
                went_back = True
                need.move_to("validation", org=org, by=by, now=next(clock), reason=BACK_REASON)
                need.move_to("co-creation", org=org, by=by, now=next(clock), reason=None)
                record.writes += 2
        for cosigner in pending_cosigners:
            self._cosign(record, cosigner, next(clock))
        if story.fate == "withdrawn":
            need.withdraw(org=org, by=by, now=next(clock), reason="Behovet är inte längre aktuellt")
            record.writes += 1

    def _cosign(self, record: NeedRecord, cosigner: Buyer, at: datetime) -> None:
        by = f"{cosigner.org}:buyer"
        record.need.cosign(org=cosigner.org, by=by, now=at, municipality_code=cosigner.home)
        record.writes += 1

    # --- matching ------------------------------------------------------------------------

    def _raise_matches_and_alerts(self, record: NeedRecord) -> None:
        from matching.service.engine import build_alert, build_match_found

        need, published_at = record.need, record.published_at
        assert published_at is not None
        profile = need_profile(need)

        def ranked() -> list[Any]:
            found = self._index.rank(profile, k=RANKED, threshold=MATCH_THRESHOLD)
            return [
                m for m in found if self._by_solution_id[m.solution_id].created_at < published_at
            ]

        def fitting() -> list[tuple[Any, Any]]:
            return [
                (sub, reasons)
                for sub, reasons in self._watching.matching(profile)
                if self._subscription_times[sub.subscription_id] < published_at
            ]

        for match in self._match_quota.draw(ranked):
            solution = self._by_solution_id[match.solution_id].solution
            found = build_match_found(profile, solution_profile(solution), match)
            record.matches.append(found)
            self._matched[match.solution_id].append(
                _Matched(
                    need.id, need.buyer_org, need.title, published_at, found.score, found.reasons
                )
            )
        for sub, reasons in self._alert_quota.draw(fitting):
            record.alerts.append(build_alert(profile, sub, reasons))
        record.top_solution = record.matches[0].solution_id if record.matches else None

    @functools.cached_property
    def _subscription_times(self) -> dict[str, datetime]:
        return {s.subscription.subscription_id: s.created_at for s in self.subscriptions}

    def _implement(self, record: NeedRecord, at: datetime) -> None:
        """Record the best match as implemented: the solution gains a deployment, and the
        other buyers whose needs matched it hear of it (scaling opportunities)."""
        from suppliers.domain import catalogue
        from suppliers.domain.catalogue import Deployment

        need = record.need
        solution_id = record.top_solution or self.rng.choice(self.solutions).solution.solution_id
        implementation = need.record_implementation(
            org=need.buyer_org, by=f"{need.buyer_org}:buyer", now=at, solution_id=solution_id
        )
        record.writes += 1
        seeded = self._by_solution_id[solution_id]
        deployment = Deployment(
            adoption_id=implementation.adoption_id,
            buyer_org=need.buyer_org,
            municipality_code=need.municipality_code,
            need_id=need.id,
            since=at,
            kind="implementation",
        )
        seeded.solution = catalogue.add_deployment(seeded.solution, deployment)
        seeded.updated_at = max(seeded.updated_at, at)
        seeded.writes += 1
        record.opportunities.extend(self._opportunities(seeded, need, implementation, at))

    def _opportunities(
        self, seeded: SeededSolution, need: Any, implementation: Any, at: datetime
    ) -> list[Opportunity]:
        solution = seeded.solution
        candidates = [
            m
            for m in self._matched[solution.solution_id]
            if m.buyer_org != need.buyer_org and m.published_at < at
        ]
        deployments = [
            ev.Deployment(buyer_org=d.buyer_org, municipality_code=d.municipality_code)
            for d in solution.deployments
        ]
        out = []
        for i, m in enumerate(self._opportunity_quota.draw(lambda: candidates)):
            count = solution.adoption_count
            payload = ev.ScalingOpportunity(
                opportunity_id=ev.deterministic_id(m.buyer_org, solution.solution_id, str(count)),
                buyer_org=m.buyer_org,
                need_id=m.need_id,
                need_title=m.title,
                solution_id=solution.solution_id,
                solution_name=solution.name,
                supplier_org=solution.supplier_org,
                adoption_count=count,
                deployments=deployments,
                score=m.score,
                reasons=m.reasons,
                triggered_by=implementation.adoption_id,
            )
            out.append(Opportunity(at + timedelta(minutes=5 + i), payload))
        return out


# Implementations: the needs that reached implementation or scaling.
REACHED_IMPLEMENTED_SHARE = (
    FATES["published"] / 100 * (REACHED["implementation"] + REACHED["scaling"]) / 100
)


@dataclass
class _Story:
    """What will happen to one need, drawn before any of it is applied."""

    need_id: str
    buyer: Buyer
    text: Any
    place: str
    fate: str
    reached: str
    back_and_forth: bool
    cosigners: list[Buyer]
    times: list[datetime]
    extras: dict[str, Any]
    cpv_codes: list[str]

    def title(self) -> str:
        words = self.text.title
        return (words[:1].upper() + words[1:])[:200]

    def first_public_moment(self) -> datetime:
        """Publication (the second moment of its timeline), or the drafting of a draft."""
        return self.times[0] if self.fate == "draft" else self.times[1]


def _timeline(rng: random.Random, start: datetime, end: datetime, steps: int) -> list[datetime]:
    """Increasing moments from `start`: days to weeks apart, squeezed to end before `end`."""
    gaps = [rng.uniform(1, 40) for _ in range(steps)]
    days = [0.0]
    for gap in gaps:
        days.append(days[-1] + gap)
    room = (end - start).total_seconds() / 86400
    squeeze = min(1.0, room / days[-1])
    return [start + timedelta(days=d * squeeze) for d in days]


def _need_extras(rng: random.Random, text: Any) -> dict[str, Any]:
    words = text.problem.split()
    extras: dict[str, Any] = {"tags": sorted(text.tags), "language": text.language or "sv"}
    if rng.random() < 0.6:
        extras["desired_outcomes"] = [
            " ".join(rng.sample(words, min(len(words), 5))).capitalize()
            for _ in range(rng.randint(1, 3))
        ]
    if rng.random() < 0.5:
        extras["target_group"] = rng.choice(TARGET_GROUPS)
    if rng.random() < 0.4:
        extras["budget_sek"] = rng.randrange(2, 200) * 50_000
    if rng.random() < 0.4:
        extras["timeline"] = f"{rng.randint(2025, 2028)} Q{rng.randint(1, 4)}"
    return extras
