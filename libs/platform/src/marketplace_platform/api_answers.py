"""What the services' error answers say, read the same way by every client of their APIs
(the portal, the `marketplace` command): one line a person can read."""

from __future__ import annotations

import httpx


def error_detail(response: httpx.Response) -> str:
    """The service's own message: `detail` of the error body, FastAPI's validation list as
    "field: message; ...", or the start of whatever else came back."""
    try:
        body = response.json()
    except ValueError:
        return response.text.strip()[:300] or response.reason_phrase
    if isinstance(body, dict):
        detail = body.get("detail")
        if isinstance(detail, str):
            return detail
        if isinstance(detail, list):
            return "; ".join(
                f"{'.'.join(str(p) for p in d.get('loc', [])[1:])}: {d.get('msg')}"
                for d in detail
                if isinstance(d, dict)
            )
    return str(body)[:300]
