"""The portal's pages over the suppliers' lists follow their keyset pages (`cursor` and
`next`), against stand-ins for the services (no Kafka, no database, no browser)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi.testclient import TestClient

from portal.app import build
from portal.settings import PortalSettings

SOLUTION = {
    "id": "s1",
    "name": "Ärlan",
    "supplier_org": "acme",
    "description": "VR-utbildning",
    "maturity": "pilot",
    "status": "published",
    "adoption_count": 0,
    "cpv_codes": ["80500000"],
    "regions": ["SE"],
}
ENTRY = {
    "id": "e1",
    "kind": "alert.raised",
    "supplier_org": "karlstad",
    "title": "Ett behov passar",
    "need_id": "n1",
    "solution_id": None,
    "score": None,
    "read": False,
    "created_at": "2025-03-02T09:00:00+00:00",
    "data": {},
}
SUBSCRIPTION = {
    "id": "sub1",
    "supplier_org": "karlstad",
    "cpv_prefixes": ["805"],
    "regions": [],
    "keywords": ["vr"],
    "phases": [],
}
NEED = {
    "id": "n1",
    "title": "Digital ledsagning",
    "problem": "Stöd att resa",
    "buyer_org": "karlstad",
    "municipality_code": "1780",
    "municipality_name": "Karlstad",
    "phase": "procurement",
    "status": "published",
    "cpv_codes": ["85300000"],
    "tags": [],
    "cosigners": [],
    "history": [],
    "implementations": [],
    "published_at": "2025-03-02T09:00:00+00:00",
    "created_at": "2025-03-01T09:00:00+00:00",
    "updated_at": "2025-03-02T09:00:00+00:00",
    "version": 2,
    "demand": {"organisations": 1, "population": 97000},
    "allowed_moves": [],
}
MATCH = {
    "solution_id": "m1",
    "solution_name": "Matchad lösning",
    "supplier_org": "other",
    "score": 0.8,
    "reasons": [],
}


@dataclass
class Fake:
    """Both services at one address; every GET is recorded with its query."""

    url: str = ""
    seen: list[tuple[str, dict[str, list[str]]]] = field(default_factory=list)

    def answer(self, path: str, query: dict[str, list[str]]) -> Any:
        last = query.get("cursor") == ["c-2"]
        following = None if last else "c-2"
        if path == "/v1/solutions":
            return {
                "items": [{**SOLUTION, "id": "s2", "name": "Örnen"} if last else SOLUTION],
                "next": following,
            }
        if path == "/v1/inbox":
            return {"items": [{**ENTRY, "id": "e2"} if last else ENTRY], "next": following}
        if path == "/v1/subscriptions":
            return {"items": [SUBSCRIPTION], "next": following}
        if path == "/v1/needs/n1":
            return NEED
        if path == "/v1/needs/n1/matches":
            return {"items": [MATCH]}
        return {"items": [], "next": None}

    def query_of(self, path: str) -> dict[str, list[str]]:
        return next(q for p, q in reversed(self.seen) if p == path)


@pytest.fixture
def services() -> Iterator[Fake]:
    fake = Fake()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            url = urlsplit(self.path)
            query = parse_qs(url.query)
            fake.seen.append((url.path, query))
            data = json.dumps(fake.answer(url.path, query)).encode()
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    fake.url = f"http://127.0.0.1:{server.server_address[1]}"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()


def signed_in(fake: Fake, role: str) -> TestClient:
    client = TestClient(build(PortalSettings(needs_url=fake.url, suppliers_url=fake.url)))
    html = client.get("/signin").text
    csrf = html.split('name="csrf" value="')[1].split('"', maxsplit=1)[0]
    form = {"org": "karlstad", "role": role, "municipality_code": "1780", "csrf": csrf}
    assert client.post("/signin", data=form, follow_redirects=False).status_code == 303
    return client


def test_the_catalogue_pages_forward_with_its_filters(services: Fake) -> None:
    client = signed_in(services, "buyer")
    first = client.get("/solutions", params={"q": "vr", "region": "17"}).text
    query = services.query_of("/v1/solutions")
    assert query["q"] == ["vr"] and query["region"] == ["17"] and query["limit"] == ["20"]
    assert "cursor" not in query
    assert "Ärlan" in first and "träffar på sidan" in first
    assert 'href="/solutions?q=vr&amp;region=17&amp;cursor=c-2"' in first
    assert "Första sidan" not in first
    last = client.get("/solutions", params={"q": "vr", "region": "17", "cursor": "c-2"}).text
    assert services.query_of("/v1/solutions")["cursor"] == ["c-2"]
    assert "Örnen" in last and 'href="/solutions?q=vr&amp;region=17"' in last
    assert "cursor=c-2" not in last  # the last page has no next


def test_a_suppliers_own_solutions_page_forward(services: Fake) -> None:
    client = signed_in(services, "supplier")
    html = client.get("/supplier/solutions").text
    query = services.query_of("/v1/solutions")
    assert query["supplier"] == ["karlstad"] and query["include_retired"] == ["true"]
    assert 'href="/supplier/solutions?cursor=c-2"' in html
    client.get("/supplier/solutions", params={"cursor": "c-2"})
    assert services.query_of("/v1/solutions")["cursor"] == ["c-2"]


def test_the_inbox_and_the_subscriptions_page_forward(services: Fake) -> None:
    client = signed_in(services, "supplier")
    inbox = client.get("/inbox").text
    assert services.query_of("/v1/inbox")["limit"] == ["20"]
    assert "Ett behov passar" in inbox and 'href="/inbox?cursor=c-2"' in inbox
    client.get("/inbox", params={"cursor": "c-2"})
    assert services.query_of("/v1/inbox")["cursor"] == ["c-2"]
    subscriptions = client.get("/supplier/subscriptions").text
    assert services.query_of("/v1/subscriptions")["limit"] == ["50"]
    assert 'href="/supplier/subscriptions?cursor=c-2"' in subscriptions


def test_an_implementation_is_chosen_among_the_matched_and_the_first_page(
    services: Fake,
) -> None:
    client = signed_in(services, "buyer")
    html = client.get("/needs/n1").text
    assert services.query_of("/v1/solutions")["limit"] == ["100"]
    options = html.split('id="impl-solution"')[1].split("</select>")[0]
    assert 'value="m1"' in options and 'value="s1"' in options
    assert options.index("Matchad lösning") < options.index("Ärlan")  # Swedish order: M < Ä


def test_an_implementation_is_offered_only_once_the_need_is_procured(services: Fake) -> None:
    client = signed_in(services, "buyer")
    procured = client.get("/needs/n1").text
    assert 'id="impl-solution"' in procured and "Välj lösning" in procured
    assert "1 organisation, 97" in procured  # singular: not "1 organisationer"
    NEED["phase"] = "validation"
    try:
        early = client.get("/needs/n1").text
    finally:
        NEED["phase"] = "procurement"
    assert 'id="impl-solution"' not in early
    assert "när behovet har nått fasen Upphandling" in early


def test_the_implementation_picker_searches_and_keeps_matched_solutions_first(
    services: Fake,
) -> None:
    client = signed_in(services, "buyer")
    html = client.get("/needs/n1", params={"solution_q": " Ärlan "}).text
    assert services.query_of("/v1/solutions")["q"] == ["Ärlan"]
    assert 'value="Ärlan"' in html  # the search stays in its field
    options = html.split('id="impl-solution"')[1].split("</select>")[0]
    # The matched solution the search did not find is left out; what it found is offered.
    assert 'value="s1"' in options and 'value="m1"' not in options
    unsearched = client.get("/needs/n1").text
    assert "q" not in services.query_of("/v1/solutions")
    assert 'value="m1"' in unsearched.split('id="impl-solution"')[1].split("</select>")[0]


def test_implemented_solutions_are_named_with_their_supplier(services: Fake) -> None:
    client = signed_in(services, "buyer")
    at = "2025-04-01T09:00:00+00:00"
    NEED["implementations"] = [{"solution_id": "m1", "at": at}, {"solution_id": "gone", "at": at}]
    try:
        html = client.get("/needs/n1").text
    finally:
        NEED["implementations"] = []
    listed = html.split('id="implemented"')[1].split("</ul>")[0]
    assert ">Matchad lösning</a> (other)" in listed
    assert ">gone</a>" in listed  # a solution the catalogue no longer has keeps its id


@pytest.mark.parametrize(
    ("lang", "said"),
    [
        ("sv", "Implementerade Matchad lösning från other"),
        ("en", "Implemented Matchad lösning by other"),
    ],
)
def test_the_history_names_the_implemented_solution_in_the_readers_language(
    services: Fake, lang: str, said: str
) -> None:
    client = signed_in(services, "buyer")
    client.get(f"/lang/{lang}")
    at = "2025-04-01T09:00:00+00:00"
    moved = {
        "at": at,
        "by": "anna",
        "org": "karlstad",
        "from_phase": "procurement",
        "to_phase": "implementation",
        "reason": "implemented solution m1",  # the service's English, for integrators
        "reason_code": "implemented",
        "reason_params": {"solution_id": "m1"},
    }
    NEED.update(
        phase="implementation",
        history=[moved],
        implementations=[{"solution_id": "m1", "at": at}],
    )
    try:
        html = client.get("/needs/n1").text
    finally:
        NEED.update(phase="procurement", history=[], implementations=[])
    timeline = html.split('id="timeline"')[1].split("</ol>")[0]
    assert said in timeline
    assert "implemented solution" not in timeline and "m1" not in timeline


def test_in_the_last_phase_no_move_back_is_chosen_beforehand(services: Fake) -> None:
    client = signed_in(services, "buyer")
    back = ["hypothesis", "validation", "co-creation", "procurement", "implementation"]
    NEED.update(phase="scaling", allowed_moves=[*back, "withdrawn"])
    try:
        last = client.get("/needs/n1").text
    finally:
        NEED.update(phase="procurement", allowed_moves=[])
    choice = last.split('id="to-phase"')[1].split("</select>")[0]
    assert '<option value="" selected>Välj fas</option>' in choice
    assert choice.count("selected") == 1
    # Back a step at a time: the nearest earlier phase first, the first phase last.
    assert choice.index("Implementering") < choice.index("Upphandling") < choice.index("Hypotes")
    assert "Skalning är den sista fasen" in last
    NEED.update(allowed_moves=["hypothesis", "validation", "implementation", "withdrawn"])
    try:
        procured = client.get("/needs/n1").text
    finally:
        NEED.update(allowed_moves=[])
    choice = procured.split('id="to-phase"')[1].split("</select>")[0]
    assert '<option value="implementation" selected>' in choice  # the next phase
    assert "Välj fas" not in choice
