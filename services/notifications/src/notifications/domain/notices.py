"""What an event tells whom: the notices of a match, an alert or a scaling opportunity.

A notice is one event as one organisation reads it, with what a message shows of it (the
need and its buyer, the solution and its supplier, the score and the reasons that made
it). It names the preference that decides its cadence: its kind and its scope (the need
for a buyer's matches and scaling opportunities, the solution for a supplier's matches,
the subscription for an alert).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from marketplace_contracts import events as ev

from .preferences import Kind

Item = dict[str, Any]


@dataclass(frozen=True)
class Notice:
    org: str
    kind: Kind
    scope: str
    item: Item


def _reasons(reasons: list[ev.MatchReason]) -> list[dict[str, Any]]:
    return [r.model_dump(mode="json") for r in reasons]


def notices_of(payload: ev.Payload, event_id: str, at: datetime) -> list[Notice]:
    """The notices of one event; none for an event of another kind."""
    base: Item = {"event_id": event_id, "once_key": event_id, "at": at.isoformat()}
    match payload:
        case ev.MatchFound():
            item = base | {
                "need_id": payload.need_id,
                "need_title": payload.need_title,
                "buyer_org": payload.buyer_org,
                "solution_id": payload.solution_id,
                "solution_name": payload.solution_name,
                "supplier_org": payload.supplier_org,
                "score": payload.score,
                "reasons": _reasons(payload.reasons),
            }
            return [
                Notice(payload.buyer_org, "matches", payload.need_id, item | {"audience": "buyer"}),
                Notice(
                    payload.supplier_org,
                    "matches",
                    payload.solution_id,
                    item | {"audience": "supplier"},
                ),
            ]
        case ev.AlertRaised():
            item = base | {
                "need_id": payload.need_id,
                "need_title": payload.need_title,
                "buyer_org": payload.buyer_org,
                "municipality_code": payload.municipality_code,
                "phase": payload.phase,
                "subscription_id": payload.subscription_id,
                "score": 1.0,
                "reasons": _reasons(payload.reasons),
                "audience": "supplier",
            }
            return [Notice(payload.supplier_org, "alerts", payload.subscription_id, item)]
        case ev.ScalingOpportunity():
            item = base | {
                "need_id": payload.need_id,
                "need_title": payload.need_title,
                "buyer_org": payload.buyer_org,
                "solution_id": payload.solution_id,
                "solution_name": payload.solution_name,
                "supplier_org": payload.supplier_org,
                "adoption_count": payload.adoption_count,
                "used_by": sorted({d.buyer_org for d in payload.deployments}),
                "score": payload.score,
                "reasons": _reasons(payload.reasons),
                "audience": "buyer",
                # One message per buyer and solution: the opportunity is told again, with
                # a higher count, as adoptions grow; the inbox shows the latest count.
                "once_key": payload.opportunity_id,
            }
            return [Notice(payload.buyer_org, "scaling", payload.need_id, item)]
    return []


def digest_order(items: list[Item]) -> list[tuple[str, list[Item]]]:
    """A digest's items grouped by need, each group ranked by score, the groups by their
    best score; ties by title, then id, so that the same items always read the same."""
    groups: dict[str, list[Item]] = {}
    for item in items:
        groups.setdefault(str(item["need_id"]), []).append(item)
    ranked = [
        (need_id, sorted(group, key=lambda i: (-float(i["score"]), str(i["event_id"]))))
        for need_id, group in groups.items()
    ]
    ranked.sort(key=lambda g: (-float(g[1][0]["score"]), str(g[1][0]["need_title"]), g[0]))
    return ranked
