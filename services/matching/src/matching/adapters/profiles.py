"""Translate event payloads (the contracts) into the matching domain's profiles."""

from __future__ import annotations

from dataclasses import replace

from marketplace_contracts.events import NeedState, SolutionState, SubscriptionUpserted

from ..domain.model import NeedProfile, SolutionProfile, SubscriptionProfile

# A need stops being "open" once a solution is chosen; it still counts as a past need
# when looking for buyers to tell about a solution that scales.
CLOSED_PHASES = frozenset({"implementation", "scaling", "withdrawn"})


def need_profile(state: NeedState) -> NeedProfile:
    return NeedProfile(
        need_id=state.need_id,
        buyer_org=state.buyer_org,
        title=state.title,
        problem=state.problem,
        cpv_codes=tuple(state.cpv_codes),
        municipality_code=state.municipality_code,
        phase=state.phase,
        tags=frozenset(state.tags),
        language=state.language,
        cosigner_orgs=frozenset(state.cosigner_orgs),
        version=state.version,
        is_open=state.phase not in CLOSED_PHASES,
    )


def with_phase(profile: NeedProfile, phase: str, version: int) -> NeedProfile:
    return replace(
        profile,
        phase=phase,  # type: ignore[arg-type]
        version=version,
        is_open=phase not in CLOSED_PHASES,
    )


def with_cosigner(profile: NeedProfile, org: str, version: int) -> NeedProfile:
    return replace(profile, cosigner_orgs=profile.cosigner_orgs | {org}, version=version)


def solution_profile(state: SolutionState, adoption_count: int | None = None) -> SolutionProfile:
    return SolutionProfile(
        solution_id=state.solution_id,
        supplier_org=state.supplier_org,
        name=state.name,
        description=state.description,
        cpv_codes=tuple(state.cpv_codes),
        regions=tuple(state.regions),
        maturity=state.maturity,
        tags=frozenset(state.tags),
        adoption_count=max(state.adoption_count, adoption_count or 0),
        language=state.languages[0] if state.languages else None,
        version=state.version,
    )


def subscription_profile(event: SubscriptionUpserted) -> SubscriptionProfile:
    return SubscriptionProfile(
        subscription_id=event.subscription_id,
        supplier_org=event.supplier_org,
        cpv_prefixes=tuple(event.cpv_prefixes),
        regions=tuple(event.regions),
        keywords=tuple(event.keywords),
        phases=frozenset(event.phases),
        version=event.version,
    )
