"""The portal's CPV picker routes and CPV labels, against a stand-in for the needs service's
reference API (no Kafka, no database, no browser)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from fastapi.testclient import TestClient

from marketplace_platform.auth import verify_token
from marketplace_platform.settings import DEV_JWT_SECRET
from portal.app import build
from portal.i18n import Translator
from portal.settings import PortalSettings
from portal.views import cpv, joined_lists, nuts_options, region_name

SEARCH = {
    "items": [
        {
            "code": "90910000",
            "full": "90910000-9",
            "label": "Städning",
            "parent": "90900000",
            "level": "class",
        },
        {
            "code": "90919300",
            "full": "90919300-5",
            "label": "Städning av skolor",
            "parent": "90919000",
            "level": "code",
        },
    ],
    "next": "page-2",
}
NEEDS_PAGE = {
    "items": [
        {
            "id": "n1",
            "title": "Städning av skolor",
            "buyer_org": "karlstad",
            "municipality_name": "Karlstad",
            "phase": "hypothesis",
            "status": "published",
            "published_at": "2025-03-02T09:00:00+00:00",
            "problem": "Skolornas lokaler städas för sällan.",
            "cpv_codes": ["90910000"],
        }
    ],
    "next": "c-2",
}
SUGGEST = {
    "items": [
        {"code": "90911200", "label": "Städning av byggnader", "score": 0.8, "reason": "städ"}
    ]
}


@dataclass
class Seen:
    method: str
    path: str
    query: dict[str, list[str]]
    authorization: str
    body: Any = None


@dataclass
class FakeNeeds:
    url: str
    seen: list[Seen] = field(default_factory=list)
    status: int = 200


@pytest.fixture
def needs_service() -> Iterator[FakeNeeds]:
    fake = FakeNeeds("")

    class Handler(BaseHTTPRequestHandler):
        def _answer(self, body: Any) -> None:
            data = json.dumps(body if fake.status < 400 else {"detail": "down"}).encode()
            self.send_response(fake.status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _seen(self, body: Any = None) -> Seen:
            url = urlsplit(self.path)
            seen = Seen(
                self.command,
                url.path,
                parse_qs(url.query),
                self.headers.get("authorization", ""),
                body,
            )
            fake.seen.append(seen)
            return seen

        def do_GET(self) -> None:
            seen = self._seen()
            self._answer(NEEDS_PAGE if seen.path.startswith("/v1/needs") else SEARCH)

        def do_POST(self) -> None:
            length = int(self.headers.get("content-length", 0))
            self._seen(json.loads(self.rfile.read(length) or b"null"))
            self._answer(SUGGEST)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    fake.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()


def csrf_of(html: str) -> str:
    return html.split('name="csrf" value="')[1].split('"', maxsplit=1)[0]


def signed_in(needs_url: str, role: str = "buyer", lang: str = "sv") -> TestClient:
    client = TestClient(build(PortalSettings(needs_url=needs_url)))
    csrf = csrf_of(client.get("/signin").text)
    form = {"org": "karlstad", "role": role, "municipality_code": "1780", "csrf": csrf}
    assert client.post("/signin", data=form, follow_redirects=False).status_code == 303
    if lang != "sv":
        client.get(f"/lang/{lang}")
    return client


def test_search_asks_the_needs_service_with_the_users_token_and_language(
    needs_service: FakeNeeds,
) -> None:
    client = signed_in(needs_service.url, lang="en")
    page = client.get("/cpv/search", params={"q": " städ "})
    assert page.status_code == 200
    (seen,) = needs_service.seen
    assert seen.path == "/v1/reference/cpv"
    assert seen.query["q"] == ["städ"]
    assert seen.query["lang"] == ["en"]
    assert "parent" not in seen.query
    token = seen.authorization.removeprefix("Bearer ")
    assert verify_token(token, DEV_JWT_SECRET).org == "karlstad"
    html = page.text
    assert "<html" not in html  # a fragment, not a page
    assert 'data-cpv-pick="90910000"' in html
    assert 'data-cpv-full="90910000-9"' in html
    assert "Städning av skolor" in html
    assert "class" in html  # the level, in English
    # 90910000 has sub-codes, 90919300 has none
    assert html.count('hx-get="/cpv/search?parent=') == 1
    assert 'hx-get="/cpv/search?q=st%C3%A4d&amp;cursor=page-2"' in html
    assert "2 results" in html


def test_the_next_page_and_sub_codes(needs_service: FakeNeeds) -> None:
    client = signed_in(needs_service.url)
    more = client.get("/cpv/search", params={"q": "städ", "cursor": "page-2"}).text
    assert needs_service.seen[-1].query["cursor"] == ["page-2"]
    assert "<ul" not in more  # list items only: they replace the "more" button
    assert more.strip().startswith("<li")
    children = client.get("/cpv/search", params={"parent": "90910000"}).text
    assert needs_service.seen[-1].query["parent"] == ["90910000"]
    assert "Underkoder till 90910000-9 Städning" in children
    assert "avdelning" not in children
    assert "klass" in children


def test_an_empty_search_asks_nothing(needs_service: FakeNeeds) -> None:
    client = signed_in(needs_service.url)
    page = client.get("/cpv/search", params={"q": "  "})
    assert page.status_code == 200
    assert page.text.strip() == ""
    assert needs_service.seen == []


def test_a_failing_service_is_said_in_the_results(needs_service: FakeNeeds) -> None:
    client = signed_in(needs_service.url)
    needs_service.status = 503
    page = client.get("/cpv/search", params={"q": "städ"})
    assert page.status_code == 200  # htmx swaps only 2xx answers
    assert "Kodsökningen är inte tillgänglig just nu" in page.text
    needs_service.status = 422
    assert "Tjänsten svarade: down" in client.get("/cpv/search", params={"q": "x"}).text


def test_search_needs_a_signed_in_user(needs_service: FakeNeeds) -> None:
    client = TestClient(build(PortalSettings(needs_url=needs_service.url)))
    page = client.get("/cpv/search", params={"q": "städ"}, follow_redirects=False)
    assert page.status_code == 303
    assert page.headers["location"].startswith("/signin")
    assert needs_service.seen == []


def test_suggest_sends_the_title_and_problem(needs_service: FakeNeeds) -> None:
    client = signed_in(needs_service.url)
    csrf = csrf_of(client.get("/needs/new").text)
    form = {
        "csrf": csrf,
        "title": "Städning av skolor",
        "problem": "Skolornas lokaler behöver städas oftare.",
        "language": "sv",
        "cpv_codes": "90910000",
    }
    page = client.post("/cpv/suggest", data=form)
    assert page.status_code == 200
    (seen,) = needs_service.seen
    assert (seen.method, seen.path) == ("POST", "/v1/reference/cpv/suggest")
    assert seen.query["lang"] == ["sv"]
    assert seen.body == {
        "title": "Städning av skolor",
        "problem": "Skolornas lokaler behöver städas oftare.",
        "language": "sv",
    }
    assert 'data-cpv-pick="90911200"' in page.text
    assert 'data-cpv-full="90911200-8"' in page.text  # the check digit from the vocabulary
    assert "1 förslag" in page.text
    assert "städ" in page.text  # the reason


def test_suggest_without_text_asks_nothing_and_checks_the_form(needs_service: FakeNeeds) -> None:
    client = signed_in(needs_service.url)
    csrf = csrf_of(client.get("/needs/new").text)
    page = client.post("/cpv/suggest", data={"csrf": csrf, "title": " ", "problem": ""})
    assert "Skriv en rubrik eller ett problem först." in page.text
    assert client.post("/cpv/suggest", data={"csrf": "nope", "title": "x"}).status_code == 403
    assert needs_service.seen == []


def test_the_need_form_has_the_picker_and_the_text_field_without_javascript(
    needs_service: FakeNeeds,
) -> None:
    client = signed_in(needs_service.url)
    html = client.get("/needs/new").text
    assert 'id="cpv_codes" name="cpv_codes"' in html  # the no-JavaScript fallback
    assert 'class="cpv-picker" hidden' in html
    assert 'hx-get="/cpv/search"' in html
    assert 'hx-post="/cpv/suggest"' in html
    assert 'aria-live="polite"' in html
    assert "Föreslå koder" in html


def test_a_refused_need_shows_its_chosen_codes_again_with_labels(
    needs_service: FakeNeeds,
) -> None:
    client = signed_in(needs_service.url)
    csrf = csrf_of(client.get("/needs/new").text)
    needs_service.status = 422
    form = [
        ("csrf", csrf),
        ("title", "Städning"),
        ("problem", "Lokalerna behöver städas."),
        ("cpv_codes", "90910000"),
        ("cpv_codes", "80500000-9, 90910000"),
        ("municipality_code", "1780"),
    ]
    page = client.post(
        "/needs",
        content=urlencode(form),
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert page.status_code == 422
    sent = needs_service.seen[0]
    assert sent.path == "/v1/needs"
    assert sent.body["cpv_codes"] == ["90910000", "80500000-9"]
    html = page.text
    assert 'value="90910000, 80500000-9"' in html
    assert 'data-cpv-chip="90910000"' in html
    assert 'data-cpv-chip="80500000"' in html
    assert "Ta bort 80500000-9 Utbildningstjänster" in html


def test_the_solution_form_offers_regions_in_a_multiple_select(needs_service: FakeNeeds) -> None:
    client = signed_in(needs_service.url, role="supplier")
    html = client.get("/supplier/solutions/new").text
    assert '<select id="regions" name="regions" multiple' in html
    assert '<option value="SE31" >– Norra Mellansverige (SE31)</option>' in html
    assert '<option value="17" >Värmlands län</option>' in html
    assert '<option value="1780" >Karlstad</option>' in html
    assert 'hx-post="/cpv/suggest"' not in html


def test_cpv_codes_show_with_their_labels() -> None:
    assert cpv("80500000", "sv").name == "80500000-9 Utbildningstjänster"
    assert cpv("80500000-9", "en").name == "80500000-9 Training services"
    assert cpv("805", "sv").name == "805 Utbildningstjänster"  # a subscription's prefix
    assert cpv("90910000", "sv").has_children
    unknown = cpv("99999999", "sv")
    assert (unknown.full, unknown.label) == ("99999999", None)
    assert cpv("not a code", "sv").name == "not a code"


def test_regions_read_the_same_from_text_and_from_a_multiple_select() -> None:
    assert joined_lists(["17, 1880", "1880", "SE"]) == ["17", "1880", "SE"]
    assert joined_lists([" ", ""]) == []
    t = Translator("sv")
    assert region_name("SE", t) == "Hela Sverige"
    assert region_name("SE31", t) == "Norra Mellansverige"
    assert region_name("SE311", t) == "Värmlands län"
    assert region_name("1780", t) == "Karlstad"
    assert region_name("99", t) == "99"
    codes = [o.value for o in nuts_options()]
    assert codes[:3] == ["SE1", "SE11", "SE12"]
    assert len(codes) == 11  # 3 NUTS-1 and 8 NUTS-2 areas


def test_needs_list_pages_by_cursor_and_shows_cpv_labels(needs_service: FakeNeeds) -> None:
    client = signed_in(needs_service.url)
    html = client.get("/needs", params={"q": "städ"}).text
    assert needs_service.seen[-1].query == {"q": ["städ"], "limit": ["20"]}
    assert '<span class="cpv-code">90910000-9</span> Städning' in html
    assert "1 träffar på sidan" in html
    assert 'href="/needs?q=st%C3%A4d&amp;cursor=c-2"' in html
    assert "Första sidan" not in html
    second = client.get("/needs", params={"q": "städ", "cursor": "c-2"}).text
    assert needs_service.seen[-1].query["cursor"] == ["c-2"]
    assert 'href="/needs?q=st%C3%A4d">Första sidan' in second
    mine = client.get("/needs/mine").text
    assert needs_service.seen[-1].path == "/v1/needs/mine"
    assert 'href="/needs/mine?cursor=c-2"' in mine
