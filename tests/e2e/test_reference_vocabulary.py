"""The whole CPV vocabulary and NUTS regions through every API that takes them, on the real
stack: three service processes, real Kafka and the real database."""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from marketplace_contracts.reference import all_codes
from marketplace_platform.auth import Role, mint_token
from marketplace_platform.settings import DEV_JWT_SECRET
from tests.support.infra import ServiceHandle, start_service, unique, wait_healthy

pytestmark = pytest.mark.infra

# Seeded, so that a failure names the same codes again; a new seed samples other codes.
SAMPLE = random.Random(14).sample(all_codes(), 60)


def auth(org: str, role: Role, municipality_code: str | None = None) -> dict[str, str]:
    token = mint_token(DEV_JWT_SECRET, org=org, role=role, municipality_code=municipality_code)
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture(scope="module")
async def stack(
    tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[dict[str, ServiceHandle]]:
    tmp: Path = tmp_path_factory.mktemp("reference")
    prefix = unique("t")
    handles = {
        name: start_service(name, tmp, topic_prefix=prefix)
        for name in ("needs", "suppliers", "matching")
    }
    try:
        for handle in handles.values():
            await wait_healthy(handle)
        yield handles
    finally:
        for handle in handles.values():
            handle.process.stop()


def _written(code: Any, with_check_digit: bool) -> str:
    # Both spellings: the bare digits, or with the check digit (the official one when known).
    return f"{code.code}-{code.check_digit or 0}" if with_check_digit else code.code


async def test_every_api_takes_a_random_sample_of_the_whole_vocabulary(
    stack: dict[str, ServiceHandle],
) -> None:
    buyer = auth(unique("ref-buyer"), "buyer", "1780")
    supplier = auth(unique("ref-supplier"), "supplier")
    async with httpx.AsyncClient(timeout=30) as client:
        for i in range(0, len(SAMPLE), 5):
            chunk = SAMPLE[i : i + 5]
            written = [_written(c, with_check_digit=bool(n % 2)) for n, c in enumerate(chunk)]
            need = await client.post(
                f"{stack['needs'].url}/v1/needs",
                headers=buyer,
                json={
                    "title": "Behov",
                    "problem": "Ett problem som behöver lösas",
                    "cpv_codes": written,
                    "municipality_code": "1780",
                },
            )
            assert need.status_code == 201, need.text
            assert need.json()["cpv_codes"] == [c.code for c in chunk]
            solution = await client.post(
                f"{stack['suppliers'].url}/v1/solutions",
                headers=supplier,
                json={
                    "name": "Lösning",
                    "description": "En lösning",
                    "cpv_codes": written,
                    "regions": ["SE"],
                    "maturity": "pilot",
                },
            )
            assert solution.status_code == 201, solution.text
            assert solution.json()["cpv_codes"] == [c.code for c in chunk]
            preview = await client.post(
                f"{stack['matching'].url}/v1/preview",
                headers=buyer,
                json={
                    "title": "Behov",
                    "problem": "Ett problem",
                    "cpv_codes": written,
                    "municipality_code": "1780",
                },
            )
            assert preview.status_code == 200, preview.text
        subscription = await client.post(
            f"{stack['suppliers'].url}/v1/subscriptions",
            headers=supplier,
            json={"cpv_prefixes": [c.code for c in SAMPLE[:10]]},
        )
        assert subscription.status_code == 201, subscription.text


async def test_a_code_outside_cpv_2008_is_refused_by_every_api_with_the_field_named(
    stack: dict[str, ServiceHandle],
) -> None:
    buyer = auth(unique("ref-buyer"), "buyer", "1780")
    supplier = auth(unique("ref-supplier"), "supplier")
    not_a_code = "80512900"  # well-formed, but CPV 2008 has no such code
    calls = [
        (
            f"{stack['needs'].url}/v1/needs",
            buyer,
            {"title": "t", "problem": "p", "cpv_codes": [not_a_code], "municipality_code": "1780"},
        ),
        (
            f"{stack['suppliers'].url}/v1/solutions",
            supplier,
            {
                "name": "n",
                "description": "d",
                "cpv_codes": [not_a_code],
                "regions": ["SE"],
                "maturity": "pilot",
            },
        ),
        (
            f"{stack['matching'].url}/v1/preview",
            buyer,
            {"title": "t", "problem": "p", "cpv_codes": [not_a_code], "municipality_code": "1780"},
        ),
    ]
    async with httpx.AsyncClient(timeout=30) as client:
        for url, headers, body in calls:
            response = await client.post(url, headers=headers, json=body)
            assert response.status_code == 422, (url, response.text)
            assert "cpv_codes.0" in response.text, response.text
            assert "not one of the 9454 codes of CPV 2008" in response.text, response.text
        wrong_digit = await client.post(
            calls[0][0], headers=buyer, json={**calls[0][2], "cpv_codes": ["80500000-1"]}
        )
        assert wrong_digit.status_code == 422
        assert "80500000-9" in wrong_digit.text  # the right digit is named


async def _matches(client: httpx.AsyncClient, url: str, headers: dict[str, str]) -> list[Any]:
    response = await client.get(url, headers=headers)
    assert response.status_code == 200, response.text
    return list(response.json()["items"])


async def test_a_solution_serving_a_nuts3_region_matches_a_need_in_that_county(
    stack: dict[str, ServiceHandle],
) -> None:
    buyer = auth(unique("karlstad"), "buyer", "1780")
    supplier = auth(unique("varmland-ab"), "supplier")
    async with httpx.AsyncClient(timeout=30) as client:
        solution = await client.post(
            f"{stack['suppliers'].url}/v1/solutions",
            headers=supplier,
            json={
                "name": "Snöröjning med eldrivna fordon",
                "description": "Snöröjning och halkbekämpning av gång- och cykelvägar",
                "cpv_codes": ["90620000"],
                "regions": ["SE311"],
                "maturity": "market-ready",
            },
        )
        assert solution.status_code == 201, solution.text
        assert solution.json()["regions"] == ["17"]  # SE311 is Värmlands län
        solution_id = solution.json()["id"]

        found = await client.get(
            f"{stack['suppliers'].url}/v1/solutions",
            headers=supplier,
            params={"region": "SE31", "q": "snöröjning"},
        )
        assert found.status_code == 200, found.text
        assert solution_id in [s["id"] for s in found.json()["items"]]

        need = await client.post(
            f"{stack['needs'].url}/v1/needs",
            headers=buyer,
            json={
                "title": "Snöröjning av cykelvägar",
                "problem": "Gång- och cykelvägar i Karlstad behöver snöröjning tidigt på morgonen",
                "cpv_codes": ["90620000"],
                "municipality_code": "1780",
            },
        )
        assert need.status_code == 201, need.text
        assert need.json()["nuts_code"] == "SE311"
        need_id = need.json()["id"]
        published = await client.post(
            f"{stack['needs'].url}/v1/needs/{need_id}/publish", headers=buyer
        )
        assert published.status_code == 200, published.text

        for region in ("SE311", "SE31", "SE3"):
            listed = await client.get(
                f"{stack['needs'].url}/v1/needs", headers=buyer, params={"region": region}
            )
            assert listed.status_code == 200, listed.text
            assert need_id in [n["id"] for n in listed.json()["items"]], region
        elsewhere = await client.get(
            f"{stack['needs'].url}/v1/needs", headers=buyer, params={"region": "SE11"}
        )
        assert need_id not in [n["id"] for n in elsewhere.json()["items"]]

        matches_url = f"{stack['needs'].url}/v1/needs/{need_id}/matches"
        deadline = time.monotonic() + 60
        while not (matches := await _matches(client, matches_url, buyer)):
            assert time.monotonic() < deadline, "no match arrived within 60 s"
            await asyncio.sleep(0.5)
    match = next(m for m in matches if m["solution_id"] == solution_id)
    region_reason = next(r for r in match["reasons"] if r["component"] == "region")
    assert "Värmlands län" in region_reason["detail"], region_reason
