"""Hostile input against the three real service processes: fuzzing from the OpenAPI
documents, an authorisation matrix, oversized and strange bodies, webhook targets."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import time
from collections import Counter
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from marketplace_platform.auth import Role, mint_token
from marketplace_platform.settings import DEV_JWT_SECRET
from tests.faults import report
from tests.faults.stack import SERVICES, Stack
from tests.support.infra import free_port, wait_healthy

pytestmark = pytest.mark.infra

FULL = os.environ.get("MARKETPLACE_FAULTS", "").lower() == "full"
MAX_EXAMPLES = 60 if FULL else 4
STREAMS = {"/v1/inbox/stream"}  # server-sent events: never end by themselves
MUNI = "1780"


def token(
    org: str, role: Role, *, ttl: timedelta = timedelta(hours=1), key: str = DEV_JWT_SECRET
) -> str:
    return mint_token(key, org=org, role=role, municipality_code=MUNI, ttl=ttl)


def bearer(value: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {value}"}


def alg_none(org: str, role: Role) -> str:
    def b64(d: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(d).encode()).decode().rstrip("=")

    now = int(time.time())
    claims = {
        "sub": org,
        "org": org,
        "role": role,
        "iss": "marketplace",
        "iat": now,
        "exp": now + 3600,
    }
    return f"{b64({'alg': 'none', 'typ': 'JWT'})}.{b64(claims)}."


@pytest.fixture(scope="module")
async def stack(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Stack]:
    s = Stack(tmp_path_factory.mktemp("hostile"), env={"SMTP_PORT": str(free_port())})
    try:
        await s.up((*SERVICES, "notifications"))  # its mail server is away: nothing is sent
        yield s
    finally:
        s.stop()


async def assert_all_healthy(stack: Stack) -> None:
    for handle in stack.handles.values():
        assert handle.process.alive(), handle.process.log_tail()
        await wait_healthy(handle, timeout=30)


# --- fixtures of real resources: owned by "owner-*", probed by others ---------------------

NEED = {
    "title": "Snöröjning med drönare",
    "problem": "Vi behöver se var snön ligger innan plogbilarna går ut.",
    "cpv_codes": ["90620000-9"],
    "municipality_code": MUNI,
}
SOLUTION = {
    "name": "Snöspanaren",
    "description": "Drönare som kartlägger snödjup",
    "cpv_codes": ["90620000"],
    "regions": ["17"],
    "maturity": "pilot",
}


async def owned_resources(stack: Stack) -> dict[str, str]:
    """One of each resource with an id in a path, owned by owner-buyer / owner-supplier."""
    ids: dict[str, str] = {}
    async with httpx.AsyncClient(timeout=15) as c:
        n, s = stack.url("needs"), stack.url("suppliers")
        b, sup = bearer(token("owner-buyer", "buyer")), bearer(token("owner-supplier", "supplier"))
        r = await c.post(f"{n}/v1/needs", json=NEED, headers=b)
        assert r.status_code == 201, r.text
        ids["need_id"] = r.json()["id"]  # a draft: nobody else may even see it
        r = await c.post(f"{s}/v1/solutions", json=SOLUTION, headers=sup)
        assert r.status_code == 201, r.text
        ids["solution_id"] = r.json()["id"]
        r = await c.post(f"{s}/v1/subscriptions", json={"cpv_prefixes": ["906"]}, headers=sup)
        assert r.status_code == 201, r.text
        ids["subscription_id"] = r.json()["id"]
        r = await c.post(
            f"{s}/v1/webhooks",
            json={"url": "http://127.0.0.1:9/x", "secret": "0123456789abcdef0123"},
            headers=sup,
        )
        assert r.status_code == 201, r.text
        ids["webhook_id"] = r.json()["id"]
        ids["entry_id"] = "00000000-0000-0000-0000-000000000000"
        r = await c.post(
            f"{stack.url('notifications')}/v1/contacts",
            json={"name": "Åsa Öberg", "email": "asa@owner-buyer.example"},
            headers=b,
        )
        assert r.status_code == 201, r.text
        ids["contact_id"] = r.json()["id"]
    return ids


# --- the authorisation matrix -------------------------------------------------------------

# Endpoints where another organisation of the right role legitimately succeeds.
SHARED = {
    ("GET", "/v1/solutions/{solution_id}"),
}


async def test_authorisation_matrix(stack: Stack) -> None:
    ids = await owned_resources(stack)
    identities: dict[str, str | None] = {
        "owner-buyer": token("owner-buyer", "buyer"),
        "other-buyer": token("other-buyer", "buyer"),
        "owner-supplier": token("owner-supplier", "supplier"),
        "other-supplier": token("other-supplier", "supplier"),
        "admin": token("ops", "admin"),
        "no token": None,
        "expired": token("owner-buyer", "buyer", ttl=timedelta(seconds=-60)),
        "other key": token("owner-buyer", "buyer", key="another-key-" + "x" * 40),
        "alg none": alg_none("owner-buyer", "buyer"),
        "garbage": "not.a.jwt",
    }
    bad = {"no token", "expired", "other key", "alg none", "garbage"}
    outcomes: Counter[str] = Counter()
    failures: list[str] = []
    cells = 0
    async with httpx.AsyncClient(timeout=15) as c:
        for service in ("needs", "suppliers", "matching", "notifications"):
            base = stack.url(service)
            doc = (await c.get(base + "/openapi.json")).json()
            for path, ops in doc["paths"].items():
                for method, op in ops.items():
                    if not op.get("security"):
                        continue  # /health, /asyncapi.json, matching's /v1/stats: public
                    url = base + path.format(**ids)
                    for who, tok in identities.items():
                        cells += 1
                        headers = bearer(tok) if tok else {}
                        if path in STREAMS:
                            async with c.stream(method.upper(), url, headers=headers) as r:
                                status = r.status_code
                                body: Any = None
                        else:
                            kw: dict[str, Any] = {}
                            if method in ("post", "put", "patch"):
                                kw["json"] = {}
                            r = await c.request(method.upper(), url, headers=headers, **kw)
                            status = r.status_code
                            body = r.text
                        outcomes[str(status)] += 1
                        cell = f"{service} {method.upper()} {path} as {who}: {status} {body!r:.200}"
                        if status >= 500 or (who in bad and status != 401):
                            failures.append(cell)
                        elif (
                            who.startswith("other-")
                            and "{" in path
                            and (method.upper(), path) not in SHARED
                            and status < 400
                        ):
                            failures.append(cell)  # another organisation's resource: data
    report.hostile(
        "authorisation_matrix",
        {"cells": cells, "identities": len(identities), "statuses": dict(sorted(outcomes.items()))},
    )
    assert not failures, "\n".join(failures)
    await assert_all_healthy(stack)


# --- property-based fuzzing from the OpenAPI documents ------------------------------------


def run_operation(operation: Any, url: str, role: str, tok: str, failures: list[str]) -> int:
    from hypothesis import HealthCheck, Phase, given, settings
    from schemathesis.checks import not_a_server_error
    from schemathesis.specs.openapi.checks import (
        content_type_conformance,
        response_schema_conformance,
    )

    count = 0

    @settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
        database=None,
    )
    @given(case=operation.as_strategy())
    def run(case: Any) -> None:
        nonlocal count
        count += 1
        response = case.call(base_url=url, headers=bearer(tok), timeout=15)
        try:
            case.validate_response(
                response,
                checks=[not_a_server_error, response_schema_conformance, content_type_conformance],
            )
        except Exception as exc:
            failures.append(
                f"{case.method} {case.formatted_path} as {role}: {response.status_code} "
                f"{type(exc).__name__}: {str(exc)[:300]}"
            )

    run()
    return count


def fuzz_service(url: str, tokens: dict[str, str]) -> tuple[int, list[str]]:
    import schemathesis

    schema = schemathesis.openapi.from_url(url + "/openapi.json")
    count = 0
    failures: list[str] = []
    for result in schema.get_all_operations():
        operation = result.ok()
        if operation.path in STREAMS:
            continue
        for role, tok in tokens.items():
            count += run_operation(operation, url, role, tok, failures)
    return count, failures


async def test_fuzzing_from_openapi(stack: Stack) -> None:
    tokens = {
        "buyer": token("fuzz-buyer", "buyer"),
        "supplier": token("fuzz-supplier", "supplier"),
        "admin": token("fuzz-admin", "admin"),
    }
    counts: dict[str, int] = {}
    failures: list[str] = []
    for service in ("needs", "suppliers", "matching", "notifications"):
        n, f = await asyncio.to_thread(fuzz_service, stack.url(service), tokens)
        counts[service] = n
        failures += [f"{service}: {x}" for x in f]
    report.hostile("fuzzed_requests", {**counts, "max_examples": MAX_EXAMPLES})
    assert not failures, "\n".join(failures[:30])
    await assert_all_healthy(stack)


# --- oversized, deep and strange input ----------------------------------------------------

TEXTS = {
    "swedish": "Åsa på ön äter gröt – ÅÄÖ åäö",
    "cyrillic": "Уборка снега с помощью дронов",
    "rtl": "إزالة الثلوج باستخدام الطائرات \u202eRTL override",
    "emoji": "Snö ❄️🚁 drönare 👩🏽‍🚒",
    "combining": "Ö (O\u0308) and A\u030a",
}


async def test_oversized_deep_and_strange_bodies(stack: Stack) -> None:
    b = bearer(token("odd-buyer", "buyer"))
    s = bearer(token("odd-supplier", "supplier"))
    results: dict[str, int] = {}
    async with httpx.AsyncClient(timeout=60) as c:
        n, sup = stack.url("needs"), stack.url("suppliers")
        big = "x" * (5 * 1024 * 1024)
        deep = "[" * 10_000 + "]" * 10_000
        cases: list[tuple[str, str, dict[str, Any]]] = [
            ("5 MB title", f"{n}/v1/needs", {"json": {**NEED, "title": big}}),
            (
                "5 MB raw body",
                f"{n}/v1/needs",
                {"content": big.encode(), "headers": {"Content-Type": "application/json"}},
            ),
            (
                "deep JSON needs",
                f"{n}/v1/needs",
                {"content": deep.encode(), "headers": {"Content-Type": "application/json"}},
            ),
            (
                "deep JSON suppliers",
                f"{sup}/v1/solutions",
                {"content": deep.encode(), "headers": {"Content-Type": "application/json"}},
            ),
            (
                "deep JSON matching",
                f"{stack.url('matching')}/v1/preview",
                {"content": deep.encode(), "headers": {"Content-Type": "application/json"}},
            ),
            (
                "100k CPV codes",
                f"{n}/v1/needs",
                {"json": {**NEED, "cpv_codes": ["90620000"] * 100_000}},
            ),
            ("100k tags", f"{sup}/v1/solutions", {"json": {**SOLUTION, "tags": ["a"] * 100_000}}),
            (
                "control characters",
                f"{n}/v1/needs",
                {"json": {**NEED, "title": "a\x00b\x07c\x1b[31m"}},
            ),
            (
                "lone surrogate",
                f"{n}/v1/needs",
                {
                    "content": b'{"title": "\\ud800"}',
                    "headers": {"Content-Type": "application/json"},
                },
            ),
            (
                "invalid UTF-8",
                f"{n}/v1/needs",
                {
                    "content": b'{"title": "\xff\xfe"}',
                    "headers": {"Content-Type": "application/json"},
                },
            ),
        ]
        for label, url, kw in cases:
            headers = {
                **(s if "/solutions" in url or "/preview" in url else b),
                **kw.pop("headers", {}),
            }
            r = await c.post(url, headers=headers, **kw)
            results[label] = r.status_code
            assert 400 <= r.status_code < 500 or r.status_code in (200, 201), (
                label,
                r.status_code,
                r.text[:300],
            )
            if r.status_code in (200, 201):
                assert label == "control characters", (label, r.text[:200])
        # Mixed scripts are stored and come back exactly as sent.
        for label, text in TEXTS.items():
            r = await c.post(
                f"{n}/v1/needs", json={**NEED, "title": text, "problem": text}, headers=b
            )
            results[f"{label} need"] = r.status_code
            assert r.status_code == 201, (label, r.text)
            got = (await c.get(f"{n}/v1/needs/{r.json()['id']}", headers=b)).json()
            assert (got["title"], got["problem"]) == (text.strip(), text.strip()), label
            r = await c.post(
                f"{sup}/v1/solutions",
                json={**SOLUTION, "name": text, "description": text},
                headers=s,
            )
            results[f"{label} solution"] = r.status_code
            assert r.status_code == 201, (label, r.text)
            got = (await c.get(f"{sup}/v1/solutions/{r.json()['id']}", headers=s)).json()
            assert (got["name"], got["description"]) == (text.strip(), text.strip()), label
    report.hostile("strange_input", results)
    await assert_all_healthy(stack)


# --- webhook targets ----------------------------------------------------------------------

REFUSED_TARGETS = [
    "http://127.0.0.1/hook",
    "http://127.1/hook",
    "http://2130706433/hook",  # 127.0.0.1 as one number
    "http://0x7f000001/hook",
    "http://localhost/hook",
    "http://LOCALHOST./hook",
    "http://[::1]/hook",
    "http://[::ffff:127.0.0.1]/hook",
    "http://10.1.2.3/hook",
    "http://172.16.0.1/hook",
    "http://192.168.0.1/hook",
    "http://169.254.169.254/latest/meta-data",
    "http://[fe80::1]/hook",
    "http://[fd00::1]/hook",
    "http://100.64.0.1/hook",
    "http://0.0.0.0/hook",
    "file:///etc/passwd",
    "gopher://127.0.0.1/",
]


async def test_webhook_targets_private_loopback_link_local_refused(tmp_path: Path) -> None:
    # A suppliers service with the production default: loopback not allowed.
    s = Stack(tmp_path, env={"SUPPLIERS_WEBHOOKS_ALLOW_LOOPBACK": "false"})
    try:
        await s.up(("suppliers",))
        accepted: list[str] = []
        async with httpx.AsyncClient(timeout=15) as c:
            for url in REFUSED_TARGETS:
                r = await c.post(
                    s.url("suppliers") + "/v1/webhooks",
                    json={"url": url, "secret": "0123456789abcdef0123"},
                    headers=bearer(token("hooker", "supplier")),
                )
                if r.status_code != 422:
                    accepted.append(f"{url}: {r.status_code} {r.text[:200]}")
        report.hostile("webhook_targets_refused", len(REFUSED_TARGETS) - len(accepted))
        assert not accepted, "\n".join(accepted)
    finally:
        s.stop()
