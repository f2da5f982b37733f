"""Request models of the suppliers' HTTP API, with the examples OpenAPI shows."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Query
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from marketplace_contracts.events import Maturity, Phase

from ..domain.catalogue import DESCRIPTION_MAX, LIST_MAX, NAME_MAX, UPDATABLE

# --- examples ------------------------------------------------------------------------------

SOLUTION_EXAMPLE: dict[str, Any] = {
    "id": "6f1c2a7e-4d8b-4a53-9d3e-2b7f1d5c9e10",
    "version": 2,
    "supplier_org": "virtual-ed-ab",
    "name": "ViroteaED VR-utbildning för vårdpersonal",
    "description": "VR training for care staff: realistic care situations without risk.",
    "cpv_codes": ["80500000"],
    "regions": ["SE"],
    "maturity": "market-ready",
    "tags": ["digital-inclusion"],
    "price_model": "licence per user and year",
    "languages": ["sv", "en"],
    "adoption_count": 1,
    "status": "published",
    "deployments": [
        {
            "buyer_org": "karlstad",
            "municipality_code": "1780",
            "need_id": "0d5c7a1e-95b2-4a8c-8f2e-7b1f3c6d2a90",
            "since": "2022-09-01T00:00:00+00:00",
            "kind": "implementation",
        }
    ],
    "created_at": "2025-01-10T09:00:00+00:00",
    "updated_at": "2025-02-01T09:00:00+00:00",
}
# What a catalogue page shows of a solution: its card, without deployments or dates.
SOLUTION_CARD_EXAMPLE: dict[str, Any] = {
    **{
        k: v
        for k, v in SOLUTION_EXAMPLE.items()
        if k not in {"deployments", "description", "created_at", "updated_at"}
    },
    "summary": SOLUTION_EXAMPLE["description"],
}
SUBSCRIPTION_EXAMPLE: dict[str, Any] = {
    "id": "a3e4b1c2-7d8e-4f90-a1b2-c3d4e5f60718",
    "supplier_org": "virtual-ed-ab",
    "cpv_prefixes": ["805"],
    "regions": ["17"],
    "keywords": ["VR", "vårdpersonal"],
    "phases": ["validation", "co-creation"],
    "version": 1,
    "created_at": "2025-01-10T09:00:00+00:00",
    "updated_at": "2025-01-10T09:00:00+00:00",
}
WEBHOOK_EXAMPLE: dict[str, Any] = {
    "id": "c0ffee00-1234-4abc-8def-0123456789ab",
    "url": "https://hooks.example.se/marketplace",
    "status": "active",
    "consecutive_failures": 0,
    "created_at": "2025-01-10T09:00:00+00:00",
    "paused_at": None,
    "pause_reason": None,
    "last_success_at": None,
}
DELIVERY_EXAMPLE: dict[str, Any] = {
    "id": "5b0e2c4a-6d8f-4a1b-9c3d-5e7f9a1b3c5d",
    "webhook_id": WEBHOOK_EXAMPLE["id"],
    "entry_id": "9d7c5b3a-1e2f-4a6b-8c0d-2e4f6a8b0c1d",
    "event_id": "1f2e3d4c-5b6a-4798-8a9b-0c1d2e3f4a5b",
    "kind": "match.found",
    "status": "delivered",
    "attempt_count": 2,
    "next_attempt_at": None,
    "created_at": "2025-02-01T09:00:00+00:00",
    "delivered_at": "2025-02-01T09:00:03+00:00",
    "attempts": [
        {
            "attempt": 1,
            "at": "2025-02-01T09:00:00+00:00",
            "status_code": 500,
            "error": "the receiver answered 500",
            "duration_ms": 12,
        },
        {
            "attempt": 2,
            "at": "2025-02-01T09:00:03+00:00",
            "status_code": 204,
            "error": None,
            "duration_ms": 9,
        },
    ],
}
INBOX_EXAMPLE: dict[str, Any] = {
    "id": "9d7c5b3a-1e2f-4a6b-8c0d-2e4f6a8b0c1d",
    "kind": "match.found",
    "supplier_org": "virtual-ed-ab",
    "title": "Your solution 'ViroteaED' fits the need 'Digital ledsagning'",
    "event_id": "1f2e3d4c-5b6a-4798-8a9b-0c1d2e3f4a5b",
    "need_id": "0d5c7a1e-95b2-4a8c-8f2e-7b1f3c6d2a90",
    "solution_id": SOLUTION_EXAMPLE["id"],
    "subscription_id": None,
    "score": 0.82,
    "read": False,
    "created_at": "2025-02-01T09:00:00+00:00",
    "updated_at": "2025-02-01T09:00:00+00:00",
    "data": {
        "score": 0.82,
        "reasons": [{"component": "cpv", "score": 0.4, "detail": "same group 805"}],
    },
}
PROFILE_EXAMPLE: dict[str, Any] = {
    "org": "virtual-ed-ab",
    "name": "Virtual Ed AB",
    "organisation_number": "556016-0680",
    "contact": {"name": "Anna Svensson", "email": "anna@example.se", "phone": "+46 54 123 45"},
    "regions": ["SE"],
    "created_at": "2025-01-10T09:00:00+00:00",
    "updated_at": "2025-01-10T09:00:00+00:00",
}
ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "no or a bad bearer token"},
    403: {"description": "the token's role may not do this"},
    422: {
        "description": "bad input; `errors` names each field and rule",
        "content": {
            "application/json": {
                "example": {
                    "detail": "cpv_codes.0: malformed CPV code '805'",
                    "errors": [
                        {
                            "field": "cpv_codes.0",
                            "rule": "invalid",
                            "message": "malformed CPV code '805'",
                        }
                    ],
                }
            }
        },
    },
}

REGIONS_HELP = 'municipality "1780", county "17", NUTS "SE311" or "SE31", or "SE"'


def example(code: int, value: Any, description: str = "") -> dict[int | str, dict[str, Any]]:
    return {
        code: {
            "description": description or "OK",
            "content": {"application/json": {"example": value}},
        },
        **ERRORS,
    }


def items(value: dict[str, Any], following: str | None = None) -> dict[str, Any]:
    return {"items": [value], "next": following}


NEXT_EXAMPLE = (  # the cursor after SOLUTION_EXAMPLE
    "WyJWaXJvdGVhRUQgVlItdXRiaWxkbmluZyBmw7ZyIHbDpXJkcGVyc29uYWwiLCI2ZjFjMmE3ZS00ZDhiLTRhNTMt"
    "OWQzZS0yYjdmMWQ1YzllMTAiXQ"
)
# The cursors after the inbox, subscription and delivery examples: (created time, id).
INBOX_NEXT = "WzE3Mzg0MDA0MDAuMCwiOWQ3YzViM2EtMWUyZi00YTZiLThjMGQtMmU0ZjZhOGIwYzFkIl0"
SUBSCRIPTION_NEXT = "WzE3MzY0OTk2MDAuMCwiYTNlNGIxYzItN2Q4ZS00ZjkwLWExYjItYzNkNGU1ZjYwNzE4Il0"
DELIVERY_NEXT = "WzE3Mzg0MDA0MDAuMCwiNWIwZTJjNGEtNmQ4Zi00YTFiLTljM2QtNWU3ZjlhMWIzYzVkIl0"
CURSOR_HELP = (
    "the `next` of the previous page; pages are keyset, so a page costs the same at any "
    "depth and no total is counted"
)
Cursor = Annotated[str | None, Query(max_length=1000, description=CURSOR_HELP)]


# --- request bodies ------------------------------------------------------------------------


class Contact(BaseModel):
    name: str | None = Field(None, max_length=200)
    email: str = Field(max_length=320)
    phone: str | None = Field(None, max_length=40)


class ProfileIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    k: PROFILE_EXAMPLE[k]
                    for k in ("name", "organisation_number", "contact", "regions")
                }
            ]
        },
    )

    name: str = Field(max_length=200)
    organisation_number: str = Field(description="Swedish organisation number, NNNNNN-NNNN")
    contact: Contact
    regions: list[str] = Field(description=f"regions served: {REGIONS_HELP}")


class SolutionIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {k: SOLUTION_EXAMPLE[k] for k in UPDATABLE} | {"cpv_codes": ["80500000-9"]}
            ]
        },
    )

    # The domain's rules again, so that every missing field is named in one answer (a
    # form shows each beside its field) rather than the first the domain meets.
    name: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=NAME_MAX)
    ]
    description: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=DESCRIPTION_MAX)
    ]
    cpv_codes: list[str] = Field(
        min_length=1, max_length=LIST_MAX, description='"80500000" or "80500000-9"'
    )
    regions: list[str] = Field(min_length=1, max_length=LIST_MAX, description=REGIONS_HELP)
    maturity: Maturity
    tags: list[str] = []
    price_model: str | None = None
    languages: list[str] = []


class SolutionPatch(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"maturity": "market-ready", "regions": ["17", "1880"]}]},
    )

    name: str | None = None
    description: str | None = None
    cpv_codes: list[str] | None = None
    regions: list[str] | None = None
    maturity: Maturity | None = None
    tags: list[str] | None = None
    price_model: str | None = None
    languages: list[str] | None = None


class SubscriptionIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    k: SUBSCRIPTION_EXAMPLE[k]
                    for k in ("cpv_prefixes", "regions", "keywords", "phases")
                }
            ]
        },
    )

    cpv_prefixes: list[str] | None = Field(None, description='"805" or a full code')
    regions: list[str] | None = None
    keywords: list[str] | None = None
    phases: list[Phase] | None = None


class WebhookIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "url": "https://hooks.example.se/marketplace",
                    "secret": "a-long-random-secret-0123",
                }
            ]
        },
    )

    url: str = Field(max_length=2048)
    secret: str = Field(min_length=16, max_length=256, description="HMAC key; never returned")
