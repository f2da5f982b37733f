"""The `marketplace` command without services: tokens, and clear one-line errors."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import jwt
import pytest
from typer.testing import CliRunner

from marketplace_platform.auth import verify_token
from marketplace_platform.settings import DEV_JWT_SECRET
from marketplace_tools.cli import app
from marketplace_tools.cli.api import cpv_lines
from marketplace_tools.cli.core import cpv_full, cpv_name, language
from marketplace_tools.cli.operations import describe_event, topic_name
from tests.support.infra import free_port

runner = CliRunner()


@pytest.fixture(autouse=True)
def _no_ambient_config(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (
        "MARKETPLACE_TOKEN",
        "MARKETPLACE_NEEDS_URL",
        "MARKETPLACE_SUPPLIERS_URL",
        "MARKETPLACE_MATCHING_URL",
        "MARKETPLACE_NOTIFICATIONS_URL",
        "MARKETPLACE_JWT_SECRET",
        "JWT_SECRET",
        "MARKETPLACE_ENVIRONMENT",
        "ENVIRONMENT",
        "MARKETPLACE_LANG",
    ):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def closed_url() -> str:
    """A local port nothing listens on."""
    return f"http://127.0.0.1:{free_port()}"


class Refusing(BaseHTTPRequestHandler):
    """Answers every request like a service that does not accept the token."""

    status = 401
    detail = "the token has expired"

    def _answer(self) -> None:
        body = json.dumps({"detail": self.detail}).encode()
        self.send_response(self.status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = _answer

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def refusing_url(request: pytest.FixtureRequest) -> Iterator[str]:
    status, detail = getattr(request, "param", (401, "the token has expired"))
    handler = type("Handler", (Refusing,), {"status": status, "detail": detail})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_token_prints_a_development_jwt_the_services_accept() -> None:
    result = runner.invoke(
        app, ["token", "--org", "karlstad", "--role", "buyer", "--municipality", "1780"]
    )
    assert result.exit_code == 0, result.output
    principal = verify_token(result.output.strip(), DEV_JWT_SECRET)
    assert (principal.org, principal.role, principal.municipality_code) == (
        "karlstad",
        "buyer",
        "1780",
    )


def test_token_refuses_an_unknown_role() -> None:
    result = runner.invoke(app, ["token", "--org", "karlstad", "--role", "mayor"])
    assert result.exit_code == 2
    assert "role must be one of" in result.output


def test_a_service_that_is_down_is_one_clear_line(closed_url: str) -> None:
    result = runner.invoke(app, ["--needs-url", closed_url, "--org", "karlstad", "needs", "list"])
    assert result.exit_code == 1
    assert f"cannot reach the needs service at {closed_url}" in result.output
    assert "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_the_url_may_come_from_the_environment(closed_url: str) -> None:
    result = runner.invoke(
        app,
        ["--org", "acme", "solutions", "list"],
        env={"MARKETPLACE_SUPPLIERS_URL": closed_url},
    )
    assert result.exit_code == 1
    assert f"cannot reach the suppliers service at {closed_url}" in result.output


def test_without_a_token_the_command_says_how_to_get_one(closed_url: str) -> None:
    result = runner.invoke(app, ["--needs-url", closed_url, "needs", "show", "x"])
    assert result.exit_code == 1
    assert "no token" in result.output
    assert "MARKETPLACE_TOKEN" in result.output


def test_a_refused_token_prints_the_services_detail(refusing_url: str) -> None:
    result = runner.invoke(app, ["--needs-url", refusing_url, "--token", "abc", "needs", "list"])
    assert result.exit_code == 1
    assert "refused the token (401): the token has expired" in result.output


@pytest.mark.parametrize(
    "refusing_url",
    [(403, "this action needs the role buyer; the token has role supplier")],
    indirect=True,
)
def test_a_wrong_role_prints_the_services_detail(refusing_url: str) -> None:
    token = jwt.encode({"role": "supplier"}, "x" * 32, algorithm="HS256")
    result = runner.invoke(
        app, ["--needs-url", refusing_url, "--token", token, "needs", "publish", "n1"]
    )
    assert result.exit_code == 1
    assert "(403): this action needs the role buyer" in result.output


def test_create_names_the_fields_it_lacks() -> None:
    result = runner.invoke(app, ["--org", "karlstad", "needs", "create", "--title", "T"])
    assert result.exit_code == 1
    assert "--problem" in result.output
    assert "--cpv" in result.output
    assert "--municipality" in result.output


def test_status_shows_services_down_and_fails(closed_url: str) -> None:
    result = runner.invoke(
        app,
        [
            "--needs-url",
            closed_url,
            "--suppliers-url",
            closed_url,
            "--matching-url",
            closed_url,
            "--notifications-url",
            closed_url,
            "status",
            "--no-lag",
        ],
    )
    assert result.exit_code == 1
    assert result.output.count("down") >= 4
    assert "notifications" in result.output


def test_status_json_reports_kafka_unreachable_without_failing_hard(closed_url: str) -> None:
    port = free_port()
    result = runner.invoke(
        app,
        [
            "--json",
            "--needs-url",
            closed_url,
            "--suppliers-url",
            closed_url,
            "--matching-url",
            closed_url,
            "--notifications-url",
            closed_url,
            "status",
            "--bootstrap",
            f"127.0.0.1:{port}",
            "--prefix",
            "nothing",
        ],
    )
    assert result.exit_code == 1
    report = json.loads(result.output)
    assert [(s["service"], s["status"]) for s in report["services"]] == [
        ("needs", "down"),
        ("suppliers", "down"),
        ("matching", "down"),
        ("notifications", "down"),
    ]
    assert report["consumer_lag_error"] or report["consumer_groups"] == []


def test_events_tail_refuses_an_unknown_topic() -> None:
    result = runner.invoke(app, ["events", "tail", "gossip", "--prefix", "p", "--bootstrap", "x:1"])
    assert result.exit_code == 1
    assert "unknown topic 'gossip'" in result.output


def test_events_tail_reports_kafka_down() -> None:
    port = free_port()
    result = runner.invoke(
        app, ["events", "tail", "needs", "--prefix", "p", "--bootstrap", f"127.0.0.1:{port}"]
    )
    assert result.exit_code == 1
    assert f"cannot reach Kafka at 127.0.0.1:{port}" in result.output


def test_topic_names() -> None:
    assert topic_name("needs", "marketplace") == "marketplace.needs"
    assert topic_name("matches.dlq", "t") == "t.matches.dlq"
    assert topic_name("t.solutions", "t") == "t.solutions"


def test_an_event_is_one_line_with_its_key_fields() -> None:
    event = {
        "id": "e1",
        "type": "need.phase-changed.v1",
        "source": "/marketplace/needs",
        "time": "2025-03-01T09:00:00.123+00:00",
        "subject": "n1",
        "data": {"need_id": "n1", "buyer_org": "karlstad", "to_phase": "validation", "x": 1},
    }
    line = describe_event(json.dumps(event).encode(), b"n1")
    for part in (
        "2025-03-01 09:00:00",
        "need.phase-changed.v1",
        "subject=n1",
        "key=n1",
        "need_id=n1",
        "to_phase=validation",
    ):
        assert part in line
    assert "x=1" not in line
    assert "tombstone" in describe_event(None, b"s1")
    assert "not JSON" in describe_event(b"{oops", None)


def test_cpv_search_needs_a_query_or_a_parent() -> None:
    result = runner.invoke(app, ["--org", "karlstad", "cpv", "search"])
    assert result.exit_code == 1
    assert "cpv search needs a QUERY (words or digits) or --parent CODE" in result.output


def test_cpv_commands_report_a_service_that_is_down(closed_url: str) -> None:
    for args in (
        ["cpv", "search", "städ"],
        ["cpv", "suggest", "--title", "Städning", "--problem", "Skolorna behöver städas"],
    ):
        result = runner.invoke(app, ["--needs-url", closed_url, "--org", "karlstad", *args])
        assert result.exit_code == 1
        assert f"cannot reach the needs service at {closed_url}" in result.output
        assert len(result.output.strip().splitlines()) == 1


def test_cpv_labels_come_in_the_chosen_language(monkeypatch: pytest.MonkeyPatch) -> None:
    assert cpv_name("80500000", "sv") == "80500000-9 Utbildningstjänster"
    assert cpv_name("80500000-9", "en") == "80500000-9 Training services"
    assert cpv_name("99999999", "sv") == "99999999"  # not in the vocabulary: as it is
    assert cpv_full("90910000") == "90910000-9"
    assert cpv_lines(["90910000", "80500000"], "sv", 2) == (
        "90910000-9 Städning\n  80500000-9 Utbildningstjänster"
    )
    assert cpv_lines([], "sv", 2) == "-"
    assert language("en") == "en"
    monkeypatch.setenv("LANG", "en_GB.UTF-8")
    assert language(None) == "en"
    monkeypatch.setenv("LANG", "C.UTF-8")
    assert language(None) == "sv"
    result = runner.invoke(app, ["--lang", "fi", "cpv", "search", "x"])
    assert result.exit_code == 2
    assert "must be sv or en" in result.output


class Paging(BaseHTTPRequestHandler):
    """Answers GET /v1/solutions and /v1/inbox a page at a time: the first page's `next`
    is "page-2", the second page is the last. Records every path with its query."""

    seen: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        self.seen.append(self.path)
        last = "cursor=page-2" in self.path
        if self.path.startswith("/v1/solutions"):
            item: dict[str, object] = {
                "id": "s2" if last else "s1",
                "name": "Örnen" if last else "Ärlan",
                "supplier_org": "acme",
                "maturity": "pilot",
                "regions": ["SE"],
                "adoption_count": 0,
            }
        else:
            item = {"id": "e2" if last else "e1", "kind": "match.found", "title": "Ett behov"}
        body = json.dumps({"items": [item], "next": None if last else "page-2"}).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def paging() -> Iterator[tuple[str, list[str]]]:
    """The URL of a paging service, and the paths it was asked for."""
    seen: list[str] = []
    handler = type("Handler", (Paging,), {"seen": seen})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", seen
    finally:
        server.shutdown()
        server.server_close()


def test_solutions_list_pages_by_cursor(paging: tuple[str, list[str]]) -> None:
    url, asked = paging
    base = ["--suppliers-url", url, "--org", "acme", "solutions", "list", "--q", "vr"]
    first = runner.invoke(app, [*base, "--limit", "1"])
    assert first.exit_code == 0, first.output
    assert "Ärlan" in first.output and "1 or more" in first.output
    assert "next page: --cursor page-2" in first.output
    last = runner.invoke(app, [*base, "--cursor", "page-2"])
    assert last.exit_code == 0, last.output
    assert "Örnen" in last.output and "next page" not in last.output
    assert asked[0].startswith("/v1/solutions?") and "limit=1" in asked[0] and "q=vr" in asked[0]
    assert "cursor=page-2" in asked[1] and "limit=20" in asked[1]


def test_inbox_list_pages_by_cursor(paging: tuple[str, list[str]]) -> None:
    url, asked = paging
    base = ["--suppliers-url", url, "--org", "acme", "--role", "supplier", "inbox", "list"]
    first = runner.invoke(app, base)
    assert first.exit_code == 0, first.output
    assert "next page: --cursor page-2" in first.output
    last = runner.invoke(app, [*base, "--unread", "--cursor", "page-2"])
    assert last.exit_code == 0, last.output
    assert "next page" not in last.output
    assert "cursor=page-2" in asked[1] and "unread=true" in asked[1]


def test_the_cli_starts_without_the_web_framework_the_http_client_or_kafka() -> None:
    # What makes `marketplace --help` slow to start is importing these (FastAPI alone took
    # half a second): each command imports what it uses when it runs.
    import subprocess
    import sys

    probe = (
        "import sys, marketplace_tools.cli; "
        "print(','.join(m for m in ('fastapi', 'httpx', 'aiokafka', 'pydantic_settings') "
        "if m in sys.modules))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert loaded == ""


@pytest.mark.parametrize(
    ("given", "code"),
    [
        ("hållbarhet", "sustainability"),
        ("Jämställd", "gender-equality"),
        ("sustainability", "sustainability"),
        ("Digital delaktighet", "digital-inclusion"),
    ],
)
def test_a_tag_is_taken_by_its_code_or_its_swedish_or_english_name(given: str, code: str) -> None:
    from marketplace_contracts.process import practice_tag

    assert practice_tag(given) == code


def test_an_unknown_tag_is_refused_with_the_tags_listed() -> None:
    from typer.testing import CliRunner

    from marketplace_tools.cli import app

    result = CliRunner().invoke(
        app,
        ["needs", "create", "--title", "t", "--problem", "p", "--cpv", "80500000", "--tag", "grön"],
    )
    assert result.exit_code != 0
    assert "grön" in result.output and "sustainability (Hållbarhet)" in result.output


def test_help_shows_flags_without_a_type_and_lists_the_phases() -> None:
    root = runner.invoke(app, ["--help"], env={"COLUMNS": "200"})
    assert root.exit_code == 0, root.output
    (json_line,) = [line for line in root.output.splitlines() if "--json" in line]
    assert "<bool>" not in json_line and "print JSON" in json_line
    completion = [line for line in root.output.splitlines() if "-completion" in line]
    assert len(completion) == 2 and not [line for line in completion if "<bool>" in line]
    listing = runner.invoke(app, ["needs", "list", "--help"], env={"COLUMNS": "200"})
    assert listing.exit_code == 0, listing.output
    assert "hypothesis, validation, co-creation, procurement, implementation, scaling" in (
        listing.output
    )
    assert not [
        line for line in listing.output.splitlines() if "--mine" in line and "<bool>" in line
    ]


# --- reading as a person: wrapping, narrow terminals, the inbox in the reader's language ---

NEED_ID = "a823a008-7307-4b7e-9f51-0a8c1c0f1e11"
SOLUTION_ID = "5d0c7a4e-3b1d-4c47-9f51-0a8c1c0f1e22"
LONG_TITLE = "Skolskjuts med uppföljning av elevernas resor"
PROBLEM = " ".join(f"ord{i:02}" for i in range(60))
NEED = {
    "id": NEED_ID,
    "title": LONG_TITLE,
    "problem": PROBLEM,
    "buyer_org": "karlstad",
    "municipality_code": "1780",
    "municipality_name": "Karlstad",
    "phase": "hypothesis",
    "status": "published",
    "cpv_codes": ["80500000", "60130000"],
    "tags": [],
    "organisations": 1,
    "demand": {"organisations": 1, "population": 97000},
    "allowed_moves": ["validation", "withdrawn"],
    "cosigners": [],
    "history": [],
}
SOLUTION = {
    "id": SOLUTION_ID,
    "name": "ViroteaED VR-träning för vårdpersonal i hemtjänsten",
    "supplier_org": "virotea-346c9a",
    "maturity": "market-ready",
    "regions": ["SE"],
    "adoption_count": 3,
}
SUPPLIER_ENTRIES = [
    {
        "id": "m1",
        "kind": "match.found",
        "title": "Your solution 'ViroteaED' fits the need 'Digital ledsagning'",
        "score": 0.82,
        "created_at": "2025-03-02T09:00:00+00:00",
        "data": {"solution_name": "ViroteaED", "need_title": "Digital ledsagning"},
    },
    {
        "id": "a1",
        "kind": "alert.raised",
        "title": "A need fits your subscription: 'Hållbar handling'",
        "score": None,
        "created_at": "2025-03-02T10:00:00+00:00",
        "data": {"need_title": "Hållbar handling"},
    },
]

CONTACTS = [
    {
        "id": "c0ffee00c0ffee00c0ffee00c0ffee01",
        "name": "Anna Lind",
        "email": "anna.lind@karlstad.se",
        "language": "sv",
        "time_zone": "Europe/Stockholm",
        "verified": True,
        "verified_at": "2025-03-02T09:00:00+00:00",
        "address_status": "ok",
        "failure": None,
        "preferences": [],
        "created_at": "2025-03-02T08:00:00+00:00",
    },
    {
        "id": "c0ffee00c0ffee00c0ffee00c0ffee02",
        "name": "Per Berg",
        "email": "per.berg@karlstad.se",
        "language": "en",
        "time_zone": "Europe/Stockholm",
        "verified": False,
        "verified_at": None,
        "address_status": "failing",
        "failure": {
            "detail": "550 5.1.1 no such mailbox",
            "at": "2025-03-03T10:15:00+00:00",
        },
        "preferences": [],
        "created_at": "2025-03-02T08:00:00+00:00",
    },
]


class Services(BaseHTTPRequestHandler):
    """The three services at one address, as a buyer or a supplier sees them (by the
    token's role): a buyer's inbox is empty, a supplier's holds two entries."""

    def do_GET(self) -> None:
        token = self.headers.get("authorization", "").removeprefix("Bearer ")
        role = jwt.decode(token, options={"verify_signature": False}).get("role")
        path = self.path.split("?")[0]
        answers: dict[str, object] = {
            "/v1/needs": {"items": [NEED, {**NEED, "id": NEED_ID[:-1] + "2"}], "next": None},
            f"/v1/needs/{NEED_ID}": NEED,
            "/v1/solutions": {"items": [SOLUTION], "next": None},
            "/v1/inbox": {
                "items": SUPPLIER_ENTRIES if role == "supplier" else [],
                "next": None,
            },
            "/v1/contacts": {"items": CONTACTS, "next": None},
        }
        found = answers.get(path)
        body = json.dumps(found if found is not None else {"detail": "no such thing"}).encode()
        self.send_response(200 if found is not None else 404)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def services() -> Iterator[list[str]]:
    """The root options that point every service at the stand-in."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), Services)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        names = ("needs", "suppliers", "matching", "notifications")
        yield [arg for s in names for arg in (f"--{s}-url", url)]
    finally:
        server.shutdown()
        server.server_close()


def test_needs_show_wraps_a_long_problem_and_counts_in_singular(services: list[str]) -> None:
    shown = runner.invoke(
        app, [*services, "--org", "karlstad", "needs", "show", NEED_ID], env={"COLUMNS": "60"}
    )
    assert shown.exit_code == 0, shown.output
    for i in range(60):  # every word of the problem, none cut at the panel's edge
        assert f"ord{i:02}" in shown.output, i
    assert max(len(line) for line in shown.output.splitlines()) <= 60
    assert "1 organisation, 97000 invånare" in shown.output
    assert "organisation(s)" not in shown.output
    english = runner.invoke(
        app, [*services, "--org", "karlstad", "--lang", "en", "needs", "show", NEED_ID]
    )
    assert "1 organisation, 97000 inhabitants" in english.output


@pytest.mark.parametrize("command", [["needs", "list"], ["solutions", "list"]])
def test_lists_at_80_columns_keep_names_and_ids_whole(
    services: list[str], command: list[str]
) -> None:
    narrow = runner.invoke(app, [*services, "--org", "karlstad", *command], env={"COLUMNS": "80"})
    assert narrow.exit_code == 0, narrow.output
    lines = [line.strip() for line in narrow.output.splitlines()]
    assert max(len(line) for line in narrow.output.splitlines()) <= 80
    name = LONG_TITLE if command[0] == "needs" else SOLUTION["name"]
    assert name in lines  # the name whole, on its line, not in fragments
    (first_id,) = [line.split()[-1] for line in lines if line.startswith("id ")][:1]
    assert first_id == (NEED_ID if command[0] == "needs" else SOLUTION_ID)
    wide = runner.invoke(app, [*services, "--org", "karlstad", *command], env={"COLUMNS": "200"})
    assert any(first_id in line and name in line for line in wide.output.splitlines())
    if command[0] == "needs":  # the id as printed is the one `needs show` takes
        shown = runner.invoke(app, [*services, "--org", "karlstad", "needs", "show", first_id])
        assert shown.exit_code == 0 and LONG_TITLE in shown.output


def test_inbox_with_org_and_no_role_finds_the_suppliers_inbox(services: list[str]) -> None:
    found = runner.invoke(app, [*services, "--org", "virotea-346c9a", "inbox", "list"])
    assert found.exit_code == 0, found.output
    assert "inkorgen är tom" not in found.output
    assert "leverantörens inkorg (2)" in found.output and "Digital ledsagning" in found.output
    buyer = runner.invoke(app, [*services, "--org", "karlstad", "--role", "buyer", "inbox", "list"])
    assert buyer.exit_code == 0 and "inkorgen är tom" in buyer.output
    help_text = runner.invoke(app, ["inbox", "list", "--help"], env={"COLUMNS": "200"}).output
    assert "whichever of the two holds entries" in help_text


@pytest.mark.parametrize("lang", ["sv", "en"])
def test_inbox_entries_read_in_the_readers_language_without_event_types(
    services: list[str], lang: str
) -> None:
    base = [*services, "--org", "virotea-346c9a", "--role", "supplier", "--lang", lang]
    result = runner.invoke(app, [*base, "inbox", "list"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    for raw in ("match.found", "alert.raised", "Your solution 'ViroteaED'", "subscription:"):
        assert raw not in result.output, raw
    if lang == "sv":
        assert "Er lösning ViroteaED passar behovet Digital ledsagning" in result.output
        assert "Ett behov passar er bevakning: Hållbar handling" in result.output
        assert "Matchning" in result.output and "Bevakning" in result.output
        assert "0,82" in result.output
    else:
        assert "Your solution ViroteaED fits the need Digital ledsagning" in result.output
        assert "Match" in result.output and "Watch" in result.output


@pytest.mark.parametrize("lang", ["sv", "en"])
def test_contacts_list_says_verified_and_a_bouncing_address_in_plain_words(
    services: list[str], lang: str
) -> None:
    base = [*services, "--lang", lang, "contacts", "list", "--org", "karlstad"]
    for columns in ("200", "80"):
        listed = runner.invoke(app, base, env={"COLUMNS": columns})
        assert listed.exit_code == 0, listed.output
        text = " ".join(listed.output.split())
        assert "c0ffee00c0ffee00c0ffee00c0ffee02" in listed.output  # ids whole
        assert "550 5.1.1 no such mailbox" in text
        assert "address_status" not in text and "failing" not in text
        if lang == "sv":
            assert "kontakter för karlstad (2)" in text
            assert "studsar: 550 5.1.1 no such mailbox (sedan 2025-03-03 10:15:00)" in text
            assert "ja" in text.split() and "nej" in text.split() and "engelska" in text
        else:
            assert "bounces: 550 5.1.1 no such mailbox (since 2025-03-03 10:15:00)" in text
            assert "yes" in text.split() and "no" in text.split() and "English" in text
        assert max(len(line) for line in listed.output.splitlines()) <= int(columns)


def test_a_verification_link_is_taken_whole_or_as_its_token() -> None:
    from marketplace_tools.cli.contacts import verification_token

    token = ".".join(("header", "claims", "signature"))  # shaped as a JWT, not one
    for given in (
        f"http://127.0.0.1:8004/v1/verify?token={token}",
        f"<https://notifications.example.org/v1/verify?token={token}&x=1>",
        f"/v1/verify?token={token}",
        f"  {token}\n",
    ):
        assert verification_token(given) == token, given
    assert verification_token("http://127.0.0.1:8004/v1/verify") is None
    assert verification_token("  ") is None
    refused = runner.invoke(app, ["contacts", "verify", "https://x.example/v1/verify?t=1"])
    assert refused.exit_code == 1
    assert "ingen token" in refused.output and "Traceback" not in refused.output
