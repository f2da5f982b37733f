"""Scaling beyond the first customer: when a buyer implements or joins a solution, which
other buyers have needs (open or past) that resemble it?

Resemblance is the matching score of the solution *as used* (its own text plus the need it
was adopted for, when known) against each need, with weights that keep only what the
solution does: CPV and text. Region, phase fit and social proof say whether a buyer could
use it today, which is the buyer's call once told; an adoption elsewhere is exactly the
news that the solution now runs somewhere.

Each buyer gets at most one opportunity, for its most resembling need; a buyer counts
for a need it owns or co-signed. The adopting buyer, and anyone listed as already using
the solution, never do. Withdrawn needs are skipped.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import replace

from .model import NeedProfile, ScalingOpportunity, SolutionProfile
from .need_index import NeedIndex
from .scoring import ScoringWeights

DEFAULT_SCALING_WEIGHTS = ScoringWeights(
    cpv=0.4, text=0.6, region=0.0, fit=0.0, social_proof=0.0, threshold=0.35
)


def usage_profile(solution: SolutionProfile, adopted_for: NeedProfile | None) -> SolutionProfile:
    """The solution as used: the need it was adopted for adds its words and CPV codes, so
    that needs resembling that need are found even where the solution's own description
    speaks another vocabulary."""
    if adopted_for is None:
        return solution
    return replace(
        solution,
        description=f"{solution.description}\n{adopted_for.text}",
        cpv_codes=solution.cpv_codes + adopted_for.cpv_codes,
    )


def find_scaling_opportunities(
    solution: SolutionProfile,
    adopting_org: str,
    needs: NeedIndex | Iterable[NeedProfile],
    *,
    adopted_for: NeedProfile | None = None,
    already_using: Collection[str] = (),
    threshold: float | None = None,
    weights: ScoringWeights = DEFAULT_SCALING_WEIGHTS,
    limit: int | None = None,
) -> list[ScalingOpportunity]:
    """Other buyers whose needs resemble the adopted solution, best first (ties by org).

    `needs` is the NeedIndex (open and past needs) or any collection of needs, indexed on
    the spot.
    """
    index = needs if isinstance(needs, NeedIndex) else _index_of(needs, weights)
    profile = usage_profile(solution, adopted_for)
    matches = index.rank_needs_for(
        profile, k=None, threshold=threshold, include_closed=True, weights=weights
    )
    excluded = {adopting_org, *already_using}
    best: dict[str, ScalingOpportunity] = {}
    for m in matches:  # best first, so the first need seen per buyer is its best one
        need = index.get(m.need_id)
        if need is None:
            continue
        for org in sorted(need.organisations - excluded):
            if org not in best:
                best[org] = ScalingOpportunity(
                    buyer_org=org,
                    need_id=need.need_id,
                    solution_id=solution.solution_id,
                    score=m.score,
                    reasons=m.reasons,
                    via_cosign=org != need.buyer_org,
                )
    out = sorted(best.values(), key=lambda o: (-o.score, o.buyer_org))
    return out if limit is None else out[:limit]


def _index_of(needs: Iterable[NeedProfile], weights: ScoringWeights) -> NeedIndex:
    index = NeedIndex(weights)
    for need in needs:
        index.upsert(need)
    return index
