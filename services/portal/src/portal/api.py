"""A thin client of the three services' HTTP APIs, called with the signed-in JWT."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx


class ApiError(Exception):
    """A 4xx/5xx answer or an unreachable service, with the service's own message."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status, self.detail = status, detail


def _detail(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:300] or response.reason_phrase
    if isinstance(body, dict):
        detail = body.get("detail")
        if isinstance(detail, str):
            return detail
        if isinstance(detail, list):  # FastAPI's own validation errors
            return "; ".join(
                f"{'.'.join(str(p) for p in d.get('loc', [])[1:])}: {d.get('msg')}"
                for d in detail
                if isinstance(d, dict)
            )
    return str(body)[:300]


class Api:
    def __init__(self, needs: str, suppliers: str, matching: str, timeout: float) -> None:
        self.bases = {"needs": needs.rstrip("/"), "suppliers": suppliers.rstrip("/")}
        self.bases["matching"] = matching.rstrip("/")
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
            raise ApiError(response.status_code, _detail(response))
        if response.status_code == 204 or not response.content:
            return None
        return response.json()

    async def stream(self, service: str, path: str, token: str) -> AsyncIterator[dict[str, str]]:
        """Server-sent events of a service, parsed: dicts with `event`, `id` and `data`."""
        headers = {"Authorization": f"Bearer {token}", "Accept": "text/event-stream"}
        timeout = httpx.Timeout(10.0, read=None)
        async with self.client.stream(
            "GET", self.bases[service] + path, headers=headers, timeout=timeout
        ) as response:
            if response.status_code >= 400:
                await response.aread()
                raise ApiError(response.status_code, _detail(response))
            event: dict[str, str] = {}
            data: list[str] = []
            async for line in response.aiter_lines():
                if not line:
                    if data:
                        event["data"] = "\n".join(data)
                        yield event
                    event, data = {}, []
                    continue
                if line.startswith(":"):
                    continue
                name, _, value = line.partition(":")
                value = value.removeprefix(" ")
                if name == "data":
                    data.append(value)
                elif name in ("event", "id"):
                    event[name] = value
