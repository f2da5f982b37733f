"""The supplier inbox: one entry per match, per alert, and per paused webhook (pure)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from marketplace_contracts.events import AlertRaised, MatchFound, deterministic_id

KIND_MATCH = "match.found"
KIND_ALERT = "alert.raised"
KIND_WEBHOOK_PAUSED = "webhook.paused"


def from_match(match: MatchFound, event_id: str) -> dict[str, Any]:
    """Entry fields for a match (a need that fits one of the supplier's solutions).

    The entry id is the match id, so a re-ranked match updates the same entry.
    """
    return {
        "_id": match.match_id,
        "supplier_org": match.supplier_org,
        "kind": KIND_MATCH,
        "title": f"Your solution {match.solution_name!r} fits the need {match.need_title!r}",
        "event_id": event_id,
        "need_id": match.need_id,
        "solution_id": match.solution_id,
        "subscription_id": None,
        "score": match.score,
        "data": match.model_dump(mode="json"),
    }


def from_alert(alert: AlertRaised, event_id: str) -> dict[str, Any]:
    """Entry fields for an alert (a need that fits one of the supplier's subscriptions)."""
    return {
        "_id": alert.alert_id,
        "supplier_org": alert.supplier_org,
        "kind": KIND_ALERT,
        "title": f"A need fits your subscription: {alert.need_title!r}",
        "event_id": event_id,
        "need_id": alert.need_id,
        "solution_id": None,
        "subscription_id": alert.subscription_id,
        "score": None,
        "data": alert.model_dump(mode="json"),
    }


def webhook_paused(  # noqa: PLR0917
    webhook_id: str, supplier_org: str, url: str, pause_number: int, reason: str, at: datetime
) -> dict[str, Any]:
    entry_id = deterministic_id("webhook.paused", webhook_id, str(pause_number))
    return {
        "_id": entry_id,
        "supplier_org": supplier_org,
        "kind": KIND_WEBHOOK_PAUSED,
        "title": f"Your webhook {url} was paused after repeated failed deliveries",
        "event_id": entry_id,
        "need_id": None,
        "solution_id": None,
        "subscription_id": None,
        "score": None,
        "data": {
            "webhook_id": webhook_id,
            "url": url,
            "reason": reason,
            "paused_at": at.isoformat(),
            "resume": f"POST /v1/webhooks/{webhook_id}/resume",
        },
    }


def public(entry: dict[str, Any]) -> dict[str, Any]:
    """The entry as the API and webhooks show it."""
    return {
        "id": entry["_id"],
        "kind": entry["kind"],
        "supplier_org": entry["supplier_org"],
        "title": entry.get("title"),
        "event_id": entry.get("event_id"),
        "need_id": entry.get("need_id"),
        "solution_id": entry.get("solution_id"),
        "subscription_id": entry.get("subscription_id"),
        "score": entry.get("score"),
        "read": bool(entry.get("read", False)),
        "created_at": _iso(entry.get("created_at")),
        "updated_at": _iso(entry.get("updated_at")),
        "data": entry.get("data") or {},
    }


def _iso(value: Any) -> str | None:
    return value.isoformat() if isinstance(value, datetime) else value
