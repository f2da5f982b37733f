"""A thin client of the services' HTTP APIs, called with the signed-in JWT."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
from httpx_sse import aconnect_sse

from marketplace_platform.api_answers import error_detail


class ApiError(Exception):
    """A 4xx/5xx answer or an unreachable service, with the service's own message."""

    def __init__(
        self, status: int, detail: str, errors: list[dict[str, Any]] | None = None
    ) -> None:
        super().__init__(detail)
        self.status, self.detail = status, detail
        # The services' `errors`: [{field, rule, message, value?}], one per refused field.
        self.errors = errors or []


def _errors_of(response: httpx.Response) -> list[dict[str, Any]]:
    try:
        body = response.json()
    except ValueError:
        return []
    errors = body.get("errors") if isinstance(body, dict) else None
    return [e for e in errors if isinstance(e, dict)] if isinstance(errors, list) else []


class Api:
    def __init__(
        self, needs: str, suppliers: str, matching: str, notifications: str, timeout: float
    ) -> None:
        self.bases = {"needs": needs.rstrip("/"), "suppliers": suppliers.rstrip("/")}
        self.bases["matching"] = matching.rstrip("/")
        self.bases["notifications"] = notifications.rstrip("/")
        self.client = httpx.AsyncClient(timeout=timeout)

    async def close(self) -> None:
        await self.client.aclose()

    async def call(
        self,
        service: str,
        method: str,
        path: str,
        token: str | None,
        *,
        json: Any = None,
        params: dict[str, Any] | None = None,
    ) -> Any:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        clean = {k: v for k, v in (params or {}).items() if v not in (None, "")}
        try:
            response = await self.client.request(
                method, self.bases[service] + path, headers=headers, json=json, params=clean
            )
        except httpx.HTTPError as exc:
            raise ApiError(503, f"{service} is not reachable ({type(exc).__name__})") from None
        if response.status_code >= 400:
            raise ApiError(response.status_code, error_detail(response), _errors_of(response))
        if response.status_code == 204 or not response.content:
            return None
        return response.json()

    async def stream(self, service: str, path: str, token: str) -> AsyncIterator[dict[str, str]]:
        """Server-sent events of a service, parsed: dicts with `event`, `id` and `data`."""
        headers = {"Authorization": f"Bearer {token}"}
        timeout = httpx.Timeout(10.0, read=None)
        async with aconnect_sse(
            self.client, "GET", self.bases[service] + path, headers=headers, timeout=timeout
        ) as source:
            if source.response.status_code >= 400:
                await source.response.aread()
                raise ApiError(source.response.status_code, error_detail(source.response))
            async for sse in source.aiter_sse():
                if sse.data:  # an event without data is not dispatched (as browsers do)
                    yield {"event": sse.event, "id": sse.id, "data": sse.data}
