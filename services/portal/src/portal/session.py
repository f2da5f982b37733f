"""A signed session cookie (HMAC-SHA256) holding the JWT and the per-session CSRF token.

The cookie is HttpOnly and SameSite=Lax; every form also carries the session's CSRF token,
which `check_csrf` compares in constant time. A tampered or expired cookie is ignored and a
fresh anonymous session takes its place.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from http.cookies import SimpleCookie
from typing import Any

from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

COOKIE = "portal_session"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def encode(data: dict[str, Any], key: bytes) -> str:
    body = _b64(json.dumps(data, separators=(",", ":")).encode())
    sig = _b64(hmac.new(key, body.encode(), hashlib.sha256).digest())
    return f"{body}.{sig}"


def decode(value: str, key: bytes, max_age_s: int) -> dict[str, Any] | None:
    body, _, sig = value.partition(".")
    expected = _b64(hmac.new(key, body.encode(), hashlib.sha256).digest())
    if not sig or not hmac.compare_digest(sig, expected):
        return None
    try:
        data = json.loads(_unb64(body))
    except ValueError:
        return None
    if not isinstance(data, dict) or time.time() - float(data.get("iat", 0)) > max_age_s:
        return None
    return data


def new_session() -> dict[str, Any]:
    return {"csrf": secrets.token_urlsafe(24), "iat": int(time.time())}


class SessionMiddleware:
    """Puts the session dict in `scope["session"]` and writes it back when it changed."""

    def __init__(self, app: ASGIApp, *, key: bytes, max_age_s: int, secure: bool = False) -> None:
        self.app, self.key, self.max_age_s, self.secure = app, key, max_age_s, secure

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        raw = Request(scope).cookies.get(COOKIE)
        loaded = decode(raw, self.key, self.max_age_s) if raw else None
        session = loaded or new_session()
        scope["session"] = session
        before = json.dumps(session, sort_keys=True) if loaded else None

        async def send_with_cookie(message: Message) -> None:
            if message["type"] == "http.response.start":
                current = scope["session"]
                if json.dumps(current, sort_keys=True) != before:
                    cookie: SimpleCookie = SimpleCookie()
                    cookie[COOKIE] = encode(current, self.key)
                    morsel = cookie[COOKIE]
                    morsel["path"] = "/"
                    morsel["httponly"] = True
                    morsel["samesite"] = "Lax"
                    morsel["max-age"] = str(self.max_age_s)
                    if self.secure:
                        morsel["secure"] = True
                    headers = MutableHeaders(scope=message)
                    headers.append("set-cookie", morsel.OutputString())
            await send(message)

        await self.app(scope, receive, send_with_cookie)


def session_of(request: Request) -> dict[str, Any]:
    session: dict[str, Any] = request.scope["session"]
    return session


def check_csrf(request: Request, token: object) -> bool:
    expected = session_of(request).get("csrf")
    return (
        isinstance(token, str)
        and isinstance(expected, str)
        and hmac.compare_digest(token.encode(), expected.encode())
    )


def sign_in(
    request: Request, token: str, org: str, role: str, municipality_code: str | None = None
) -> None:
    """A new session (and CSRF token) on sign-in, so a planted session cannot be reused."""
    fresh = new_session()
    fresh.update({"token": token, "org": org, "role": role})
    if municipality_code:
        fresh["municipality_code"] = municipality_code  # a new need's default place
    lang = session_of(request).get("lang")
    if lang:
        fresh["lang"] = lang
    request.scope["session"] = fresh


def sign_out(request: Request) -> None:
    lang = session_of(request).get("lang")
    fresh = new_session()
    if lang:
        fresh["lang"] = lang
    request.scope["session"] = fresh


def flash(request: Request, message: str, kind: str = "info") -> None:
    session_of(request)["flash"] = {"message": message, "kind": kind}


def pop_flash(request: Request) -> dict[str, str] | None:
    value = session_of(request).pop("flash", None)
    return value if isinstance(value, dict) else None
