"""The needs API on the real service process, Kafka and database."""

from __future__ import annotations

from typing import Any

import pytest

from marketplace_contracts.reference import municipality

from .conftest import NEED, Needs, auth

pytestmark = pytest.mark.infra


async def test_a_need_from_draft_to_implementation_emits_each_event_on_return(
    needs_service: Needs,
) -> None:
    svc, c = needs_service, needs_service.client
    need = await svc.create()
    assert (need["status"], need["phase"], need["version"]) == ("draft", "hypothesis", 0)
    assert need["cpv_codes"] == ["80500000"] and need["municipality_name"] == "Karlstad"
    nid = need["id"]

    # A draft is the owner's organisation's only.
    assert (await c.get(f"/v1/needs/{nid}", headers=auth("karlstad"))).status_code == 200
    assert (await c.get(f"/v1/needs/{nid}", headers=auth("hammaro"))).status_code == 404
    assert (await c.get(f"/v1/needs/{nid}", headers=auth("acme", "supplier"))).status_code == 404
    assert await svc.events("needs", lambda e: e.subject == nid, timeout=1.5) == []

    published = await c.post(f"/v1/needs/{nid}/publish", headers=auth("karlstad"))
    assert published.status_code == 200 and published.json()["version"] == 1
    [event] = await svc.events("needs", lambda e: e.subject == nid)
    assert event.type == "need.published.v1" and event.data["version"] == 1
    assert event.data["cpv_codes"] == ["80500000"]
    assert (await c.get(f"/v1/needs/{nid}", headers=auth("acme", "supplier"))).status_code == 200

    illegal = await c.post(
        f"/v1/needs/{nid}/phase", json={"phase": "procurement"}, headers=auth("karlstad")
    )
    assert illegal.status_code == 409
    assert illegal.json()["allowed"] == ["validation", "withdrawn"]
    assert "validation" in illegal.json()["detail"]

    for phase in ("validation", "co-creation"):
        moved = await c.post(
            f"/v1/needs/{nid}/phase", json={"phase": phase}, headers=auth("karlstad")
        )
        assert moved.status_code == 200, moved.text
    back = await c.post(
        f"/v1/needs/{nid}/phase", json={"phase": "validation"}, headers=auth("karlstad")
    )
    assert back.status_code == 422 and back.json()["errors"][0]["field"] == "reason"
    back = await c.post(
        f"/v1/needs/{nid}/phase",
        json={"phase": "validation", "reason": "users disagreed"},
        headers=auth("karlstad", municipality_code="1780"),
    )
    assert back.status_code == 200
    history = back.json()["history"]
    assert [(h["from_phase"], h["to_phase"]) for h in history[1:]] == [
        ("hypothesis", "validation"),
        ("validation", "co-creation"),
        ("co-creation", "validation"),
    ]
    assert history[-1]["reason"] == "users disagreed" and history[-1]["org"] == "karlstad"

    cosigned = await c.post(
        f"/v1/needs/{nid}/cosign", headers=auth("hammaro", municipality_code="1761")
    )
    assert cosigned.status_code == 200, cosigned.text
    demand = cosigned.json()["demand"]
    assert demand["organisations"] == 2
    assert demand["population"] == municipality("1780").population + municipality("1761").population
    assert demand["municipalities"] == ["Hammarö", "Karlstad"]
    again = await c.post(f"/v1/needs/{nid}/cosign", headers=auth("hammaro"))
    assert again.status_code == 409

    edited = await c.patch(
        f"/v1/needs/{nid}", json={"budget_sek": 400000}, headers=auth("karlstad")
    )
    assert edited.status_code == 200 and edited.json()["version"] == 6

    for phase in ("co-creation", "procurement"):
        await c.post(f"/v1/needs/{nid}/phase", json={"phase": phase}, headers=auth("karlstad"))
    implemented = await c.post(
        f"/v1/needs/{nid}/implementation", json={"solution_id": "sol-1"}, headers=auth("karlstad")
    )
    assert implemented.status_code == 201, implemented.text
    assert implemented.json()["phase"] == "implementation"
    [adoption] = await svc.events("adoptions", lambda e: e.data.get("need_id") == nid)
    assert adoption.data["kind"] == "implementation" and adoption.data["solution_id"] == "sol-1"
    assert adoption.data["municipality_code"] == "1780"

    events = await svc.events("needs", lambda e: e.subject == nid, count=10)
    assert [e.type.split(".")[1] for e in events] == [
        "published",
        "phase-changed",
        "phase-changed",
        "phase-changed",
        "cosigned",
        "updated",
        "phase-changed",
        "phase-changed",
        "phase-changed",
    ]
    assert [e.data["version"] for e in events] == list(range(1, 10))

    joined = await c.post(
        "/v1/adoptions",
        json={"solution_id": "sol-1", "need_id": nid},
        headers=auth("hammaro", municipality_code="1761"),
    )
    assert joined.status_code == 201, joined.text
    twice = await c.post("/v1/adoptions", json={"solution_id": "sol-1"}, headers=auth("hammaro"))
    assert twice.status_code == 409
    [joined_event] = await svc.events(
        "adoptions", lambda e: e.data.get("buyer_org") == "hammaro" and e.data["kind"] == "adoption"
    )
    assert joined_event.data["municipality_code"] == "1761"

    withdrawn = await c.post(
        f"/v1/needs/{nid}/withdraw", json={"reason": "done"}, headers=auth("karlstad")
    )
    assert withdrawn.status_code == 200 and withdrawn.json()["status"] == "withdrawn"
    [gone] = await svc.events("needs", lambda e: e.type == "need.withdrawn.v1" and e.subject == nid)
    assert gone.data["version"] == 10


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"cpv_codes": ["99999999"]}, "cpv_codes"),
        ({"cpv_codes": ["80500000-1"]}, "cpv_codes"),
        ({"municipality_code": "9999"}, "municipality_code"),
        ({"title": "   "}, "title"),
        ({"title": "x" * 201}, "title"),
        ({"problem": "x" * 10_001}, "problem"),
        ({"cpv_codes": "80500000"}, "cpv_codes"),
        ({"budget_sek": "lots"}, "budget_sek"),
        ({"tags": [1]}, "tags.0"),
        ({"language": "de"}, "language"),
        ({"surprise": 1}, "surprise"),
    ],
)
async def test_bad_input_is_a_422_naming_the_field_and_writes_nothing(
    needs_service: Needs, change: dict[str, Any], field: str
) -> None:
    org = f"org-{field}-{len(str(change))}"
    response = await needs_service.client.post(
        "/v1/needs", json={**NEED, **change}, headers=auth(org)
    )
    assert response.status_code == 422, response.text
    fields = [e["field"] for e in response.json()["errors"]]
    assert any(f == field or f.startswith(field + ".") for f in fields), fields
    assert field.split(".", maxsplit=1)[0] in response.json()["detail"]
    mine = await needs_service.client.get("/v1/needs/mine", headers=auth(org))
    assert mine.json()["items"] == []


async def test_search_filters_text_region_cpv_and_phase_with_stable_pages(
    needs_service: Needs,
) -> None:
    c = needs_service.client
    tag = "zq" + "x" * 4  # a word of its own, so this test sees only its needs
    care = await needs_service.published(
        title=f"Vårdpersonalsutbildning {tag}", problem="VR-träning i demensvård."
    )
    escort = await needs_service.published(
        "hammaro",
        title=f"Digital ledsagning {tag}",
        problem="Trygga resor för äldre.",
        municipality_code="1761",
        cpv_codes=["72000000"],
    )
    helsingborg = await needs_service.published(
        "helsingborg",
        title=f"Hållbar handling {tag}",
        problem="Hållbara inköp av livsmedel.",
        municipality_code="1283",
        cpv_codes=["15000000"],
    )
    draft = await needs_service.create(title=f"Utkast utbildning {tag}")
    h = auth("acme", "supplier")

    async def ids(**params: Any) -> list[str]:
        response = await c.get("/v1/needs", params={"q": tag, **params}, headers=h)
        assert response.status_code == 200, response.text
        return [n["id"] for n in response.json()["items"]]

    everything = await ids()
    assert everything == [helsingborg["id"], escort["id"], care["id"]]  # newest first
    assert draft["id"] not in everything
    assert await ids(q=f"utbildning {tag}") == [care["id"]]
    assert await ids(q=f"UTBILDNINGAR {tag}") == [care["id"]]
    assert await ids(region="17") == [escort["id"], care["id"]]
    assert await ids(region="1761") == [escort["id"]]
    assert await ids(region="SE") == everything
    assert await ids(cpv="805") == [care["id"]]
    assert await ids(cpv="80000000-4") == [care["id"]]
    assert await ids(phase="hypothesis") == everything
    assert await ids(phase="validation") == []
    page1 = await c.get("/v1/needs", params={"q": tag, "limit": 2}, headers=h)
    cursor = page1.json()["next"]
    assert cursor is not None
    page2 = await c.get("/v1/needs", params={"q": tag, "limit": 2, "cursor": cursor}, headers=h)
    assert page2.json()["next"] is None  # the last page says so
    assert [n["id"] for n in page1.json()["items"] + page2.json()["items"]] == everything
    bad = await c.get("/v1/needs", params={"cursor": "not-a-cursor"}, headers=h)
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "cursor"
    bad = await c.get("/v1/needs", params={"region": "99"}, headers=h)
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "region"
    bad = await c.get("/v1/needs", params={"cpv": "abc"}, headers=h)
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "cpv"

    mine = await c.get("/v1/needs/mine", headers=auth("karlstad"))
    assert draft["id"] in [n["id"] for n in mine.json()["items"]]
    seen: list[str] = []
    cursor = None
    while True:  # the buyer's own list, one need a page, every one once
        page = await c.get(
            "/v1/needs/mine", params={"limit": 1, "cursor": cursor}, headers=auth("karlstad")
        )
        seen += [n["id"] for n in page.json()["items"]]
        cursor = page.json()["next"]
        if cursor is None:
            break
    assert [n["id"] for n in mine.json()["items"]] == seen[:20]
    assert len(seen) == len(set(seen)) and draft["id"] in seen


async def test_openapi_describes_every_endpoint_with_examples(needs_service: Needs) -> None:
    spec = (await needs_service.client.get("/openapi.json")).json()
    paths = spec["paths"]
    for path, method in [
        ("/v1/needs", "post"),
        ("/v1/needs", "get"),
        ("/v1/needs/mine", "get"),
        ("/v1/needs/{need_id}", "get"),
        ("/v1/needs/{need_id}", "patch"),
        ("/v1/needs/{need_id}/publish", "post"),
        ("/v1/needs/{need_id}/phase", "post"),
        ("/v1/needs/{need_id}/withdraw", "post"),
        ("/v1/needs/{need_id}/cosign", "post"),
        ("/v1/needs/{need_id}/matches", "get"),
        ("/v1/needs/{need_id}/implementation", "post"),
        ("/v1/adoptions", "post"),
        ("/v1/inbox", "get"),
        ("/v1/inbox/{entry_id}/read", "post"),
        ("/v1/inbox/stream", "get"),
    ]:
        operation = paths[path][method]
        assert operation.get("summary"), (path, method)
        assert any(
            "example" in str(r) for r in operation["responses"].values()
        ) or "examples" in str(operation), (path, method)
    assert "examples" in str(spec["components"]["schemas"]["NeedCreate"])
