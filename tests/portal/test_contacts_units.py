"""The contacts page and the development mail view against a stand-in for the
notifications service (no Kafka, no database, no browser): what a contact's state says,
refused fields beside the field, choices per kind that keep the scoped ones."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from fastapi.testclient import TestClient

from portal.app import build
from portal.routes.contacts import DEFAULT_CADENCE, general_rules
from portal.settings import PortalSettings

VERIFIED = {
    "id": "c1",
    "name": "Anna Lind",
    "email": "anna.lind@karlstad.se",
    "language": "sv",
    "time_zone": "Europe/Stockholm",
    "verified": True,
    "verified_at": "2025-03-02T09:00:00+00:00",
    "address_status": "ok",
    "failure": None,
    "preferences": [
        {"kind": "matches", "scope": None, "cadence": "weekly"},
        {"kind": "alerts", "scope": "sub-1", "cadence": "off"},
        {"kind": "scaling", "scope": "need-1", "cadence": "daily"},
    ],
    "created_at": "2025-03-02T08:00:00+00:00",
}
UNVERIFIED = {
    **VERIFIED,
    "id": "c2",
    "name": "Per Berg",
    "email": "per.berg@karlstad.se",
    "language": "en",
    "verified": False,
    "verified_at": None,
    "preferences": [],
}
BOUNCING = {
    **UNVERIFIED,
    "id": "c3",
    "name": "Eva Ek",
    "email": "eva.ek@karlstad.se",
    "verified": True,
    "address_status": "failing",
    "failure": {"detail": "550 5.1.1 no such mailbox", "at": "2025-03-03T10:15:00+00:00"},
}
MESSAGE = {
    "name": "20250302T090000.000001-0a0b0c0d.eml",
    "to": "Anna Lind <anna.lind@karlstad.se>",
    "from": "Marknadsplatsen för innovationsupphandling <noreply@marketplace.local>",
    "subject": "Bekräfta din e-postadress",
    "date": "Sun, 02 Mar 2025 09:00:00 +0000",
    "message_id": "<verify-1@marketplace.local>",
    "language": "sv",
    "list_unsubscribe": None,
}
LINK = "http://127.0.0.1:8004/v1/verify?token=abc.def.ghi"
ZONE = "Europe/Stockholm."
# As the notifications service refuses them (its answers, recorded).
REFUSED: dict[str, tuple[int, dict[str, Any]]] = {
    "": (
        422,
        {
            "detail": "name: String should have at least 1 character; ...",
            "errors": [
                {
                    "field": "name",
                    "rule": "string_too_short",
                    "message": "String should have at least 1 character",
                    "value": "",
                },
                {
                    "field": "email",
                    "rule": "string_too_short",
                    "message": "String should have at least 3 characters",
                    "value": "",
                },
            ],
        },
    ),
    "abc@": (
        422,
        {
            "detail": "not an e-mail address: There must be something after the @-sign.",
            "errors": [
                {
                    "field": "email",
                    "rule": "invalid",
                    "message": "not an e-mail address: There must be something after the @-sign.",
                }
            ],
            "value": "abc@",
        },
    ),
    "Anna.Lind@karlstad.se": (
        409,
        {
            "detail": "this address is already a contact of the organisation",
            "errors": [
                {
                    "field": "email",
                    "rule": "conflict",
                    "message": "this address is already a contact of the organisation",
                }
            ],
        },
    ),
}


@dataclass
class FakeNotifications:
    url: str = ""
    contacts: list[dict[str, Any]] = field(default_factory=list)
    calls: list[tuple[str, str, Any]] = field(default_factory=list)

    def answer(self, method: str, path: str, body: Any) -> tuple[int, Any]:
        self.calls.append((method, path, body))
        if path == "/v1/contacts" and method == "GET":
            return 200, {"items": self.contacts, "next": None}
        if path == "/v1/contacts" and method == "POST":
            if body["email"] in REFUSED:
                return REFUSED[body["email"]]
            if body.get("time_zone") == "Mars/Olympus":
                return 422, {
                    "detail": "must be an IANA time zone such as Europe/Stockholm",
                    "errors": [
                        {
                            "field": "time_zone",
                            "rule": "invalid",
                            "message": "must be an IANA time zone such as Europe/Stockholm",
                        }
                    ],
                    "value": "Mars/Olympus",
                }
            added = {**UNVERIFIED, "id": "new", "name": body["name"], "email": body["email"]}
            self.contacts.append(added)
            return 201, added
        if path.startswith("/v1/contacts/"):
            contact_id = path.split("/")[3]
            found = next((c for c in self.contacts if c["id"] == contact_id), None)
            if found is None:
                return 404, {"detail": f"no contact {contact_id}"}
            if method == "GET":
                return 200, found
            if method == "PUT":
                found["preferences"] = body["preferences"]
                return 200, found
            if method == "DELETE":
                self.contacts.remove(found)
                return 204, None
            return 202, found
        if path == "/v1/dev/mail":
            return 200, {"items": [MESSAGE], "next": None}
        if path == f"/v1/dev/mail/{MESSAGE['name']}":
            html = '<p style="color: #123456">Hej <b>Anna</b> &amp; "välkommen"</p>'
            return 200, {**MESSAGE, "text": f"Hej Anna Lind,\n\nBekräfta: {LINK}\n", "html": html}
        return 404, {"detail": "Not Found"}


@pytest.fixture
def notifications() -> Iterator[FakeNotifications]:
    fake = FakeNotifications()

    class Handler(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            length = int(self.headers.get("content-length") or 0)
            body = json.loads(self.rfile.read(length)) if length else None
            status, answer = fake.answer(self.command, self.path.split("?")[0], body)
            data = b"" if answer is None else json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_PUT = do_DELETE = _answer

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


def csrf_of(html: str) -> str:
    return html.split('name="csrf" value="')[1].split('"', maxsplit=1)[0]


def client_for(fake: FakeNotifications, environment: str = "test") -> TestClient:
    return TestClient(
        build(PortalSettings(notifications_url=fake.url, MARKETPLACE_ENVIRONMENT=environment))
    )


def signed_in(fake: FakeNotifications, role: str = "buyer", lang: str = "sv") -> TestClient:
    client = client_for(fake)
    csrf = csrf_of(client.get("/signin").text)
    form = {"org": "karlstad", "role": role, "municipality_code": "1780", "csrf": csrf}
    assert client.post("/signin", data=form, follow_redirects=False).status_code == 303
    if lang == "en":
        client.get("/lang/en")
    return client


def test_the_portals_defaults_are_the_services() -> None:
    from notifications.domain.preferences import CADENCES, KINDS
    from notifications.domain.preferences import DEFAULT_CADENCE as SERVICE_DEFAULTS
    from portal.routes import contacts

    assert dict(SERVICE_DEFAULTS) == DEFAULT_CADENCE
    assert (contacts.KINDS, contacts.CADENCES) == (KINDS, CADENCES)


@pytest.mark.parametrize("lang", ["sv", "en"])
def test_each_contact_says_confirmed_or_not_and_why_an_address_bounces(
    notifications: FakeNotifications, lang: str
) -> None:
    notifications.contacts = [dict(VERIFIED), dict(UNVERIFIED), dict(BOUNCING)]
    client = signed_in(notifications, lang=lang)
    html = client.get("/contacts").text
    assert 'href="/contacts" aria-current="page"' in html
    sections = html.split('<section class="panel contact"')[1:]
    assert len(sections) == 3
    anna, per, eva = sections
    if lang == "sv":
        assert "Bekräftad" in anna and "Skicka bekräftelsen igen" not in anna
        assert "Inte bekräftad än" in per and "Skicka bekräftelsen igen" in per
        assert "Adressen studsar: 550 5.1.1 no such mailbox" in eva
        assert "sedan 3 mars 2025 10:15" in eva
        assert "Engelska" in per and "Vad Per Berg får med e-post" in per
    else:
        assert "Confirmed" in anna and "Not confirmed yet" in per
        assert "The address bounces: 550 5.1.1 no such mailbox" in eva
    for raw in ("failing", "address_status", "immediate", "weekly"):
        assert f">{raw}<" not in html, raw
    # The general choice per kind is selected, else the kind's default; scoped ones counted.
    assert (
        '<option value="weekly" selected>' in anna.split('name="matches"')[1].split("</select>")[0]
    )
    assert (
        '<option value="immediate" selected>'
        in anna.split('name="alerts"')[1].split("</select>")[0]
    )
    assert '<option value="daily" selected>' in per.split('name="matches"')[1].split("</select>")[0]
    assert ("2 val för enskilda" if lang == "sv" else "2 more choices") in anna
    assert "enskilda" not in per and "more choices" not in per


def test_saving_the_choices_sets_general_rules_and_keeps_the_scoped_ones(
    notifications: FakeNotifications,
) -> None:
    notifications.contacts = [dict(VERIFIED)]
    client = signed_in(notifications)
    csrf = csrf_of(client.get("/contacts").text)
    form = {"csrf": csrf, "matches": "daily", "alerts": "off", "scaling": "weekly"}
    saved = client.post("/contacts/c1/preferences", data=form, follow_redirects=False)
    assert saved.status_code == 303 and saved.headers["location"] == "/contacts"
    [put] = [body for method, _, body in notifications.calls if method == "PUT"]
    assert put == {
        "preferences": [
            {"kind": "matches", "scope": None, "cadence": "daily"},
            {"kind": "alerts", "scope": None, "cadence": "off"},
            {"kind": "scaling", "scope": None, "cadence": "weekly"},
            {"kind": "alerts", "scope": "sub-1", "cadence": "off"},
            {"kind": "scaling", "scope": "need-1", "cadence": "daily"},
        ]
    }
    assert "Sparat." in client.get("/contacts").text
    assert general_rules([], {"matches": "off"}) == [
        {"kind": "matches", "scope": None, "cadence": "off"}
    ]


@pytest.mark.parametrize(
    ("sent", "said"),
    [
        (
            {"name": "", "email": ""},
            {"name": "Ange kontaktens namn.", "email": "Ange en e-postadress."},
        ),
        ({"name": "Per", "email": "abc@"}, {"email": "abc@ är inte en e-postadress."}),
        (
            {"name": "Per", "email": "Anna.Lind@karlstad.se"},
            {"email": "Anna.Lind@karlstad.se är redan en kontakt för organisationen."},
        ),
        (
            {"name": "Per", "email": "per@karlstad.se", "time_zone": "Mars/Olympus"},
            {"time_zone": "Okänd tidszon Mars/Olympus: ange ett IANA-namn, t.ex. " + ZONE},
        ),
    ],
)
def test_a_refused_contact_is_said_beside_each_field_with_the_values_kept(
    notifications: FakeNotifications, sent: dict[str, str], said: dict[str, str]
) -> None:
    notifications.contacts = [dict(VERIFIED)]
    client = signed_in(notifications)
    csrf = csrf_of(client.get("/contacts").text)
    form = {"csrf": csrf, "language": "en", "time_zone": "Europe/Stockholm", **sent}
    page = client.post("/contacts", data=form)
    assert page.status_code == 422
    html = page.text
    assert "Rätta de markerade fälten." in html
    for name, message in said.items():
        assert f'<p class="field-error" id="{name}-error">{message}</p>' in html.replace(
            "&#39;", "'"
        ), name
        assert 'aria-invalid="true"' in html.split(f'id="{name}"')[1].split(">")[0]
    assert "String should" not in html and "not an e-mail address" not in html
    assert f'value="{sent["email"]}"' in html
    assert '<option value="en" selected>' in html  # the language chosen is kept
    assert html.count('<section class="panel contact"') == 1  # the contacts still listed


def test_adding_resending_and_removing_a_contact(notifications: FakeNotifications) -> None:
    client = signed_in(notifications, role="supplier")
    page = client.get("/contacts").text
    assert "Inga kontakter än." in page
    assert 'name="time_zone" value="Europe/Stockholm"' in page
    form = {"csrf": csrf_of(page), "name": "Åsa Öberg", "email": "asa@vr.se", "language": "sv"}
    added = client.post("/contacts", data={**form, "time_zone": ""}, follow_redirects=False)
    assert added.status_code == 303
    post = next(body for method, path, body in notifications.calls if method == "POST")
    assert post == {
        "name": "Åsa Öberg",
        "email": "asa@vr.se",
        "language": "sv",
        "time_zone": None,
    }
    page = client.get("/contacts").text
    assert "Åsa Öberg är tillagd. Ett meddelande med en länk" in page
    resent = client.post("/contacts/new/verification", data={"csrf": form["csrf"]})
    assert ("POST", "/v1/contacts/new/verification", None) in notifications.calls
    assert "Ett nytt meddelande för att bekräfta adressen har skickats." in resent.text
    removed = client.post("/contacts/new/delete", data={"csrf": form["csrf"]})
    assert notifications.contacts == []
    assert "Kontakten är borttagen." in removed.text and "Inga kontakter än." in removed.text


def test_an_administrator_has_no_contacts_page(notifications: FakeNotifications) -> None:
    client = signed_in(notifications, role="admin")
    assert client.get("/contacts").status_code == 403
    anonymous = client_for(notifications)
    assert (
        anonymous.get("/contacts", follow_redirects=False).headers["location"].startswith("/signin")
    )


def test_the_mail_view_in_development_frames_the_html_without_scripts(
    notifications: FakeNotifications,
) -> None:
    client = client_for(notifications)
    home = client.get("/").text
    assert '<a href="/dev/mail">Fångad e-post (utveckling)</a>' in home
    listed = client.get("/dev/mail", params={"to": "anna"}).text
    assert f'href="/dev/mail/{MESSAGE["name"]}">Bekräfta din e-postadress</a>' in listed
    assert "2 mars 2025 09:00" in listed and "anna.lind@karlstad.se" in listed
    shown = client.get(f"/dev/mail/{MESSAGE['name']}")
    assert shown.status_code == 200
    html = shown.text
    assert f'<a href="{LINK}">{LINK}</a>' in html  # the link in the text, to follow
    assert "Marknadsplatsen för innovationsupphandling" in html
    frame = html.split("<iframe")[1].split("></iframe>")[0]
    assert 'sandbox=""' in frame
    assert 'srcdoc="&lt;p style=&#34;color: #123456&#34;&gt;Hej &lt;b&gt;Anna&lt;/b&gt;' in frame
    assert 'title="HTML-delen: Bekräfta din e-postadress"' in frame
    policy = shown.headers["content-security-policy"]
    assert "style-src 'self' 'unsafe-inline'" in policy and "script-src 'self'" in policy
    assert client.get("/").headers["content-security-policy"].count("unsafe-inline") == 0
    assert client.get("/dev/mail/nothing.eml").status_code == 404


def test_production_has_no_mail_view(notifications: FakeNotifications) -> None:
    client = TestClient(
        build(
            PortalSettings(
                notifications_url=notifications.url,
                MARKETPLACE_ENVIRONMENT="production",
                MARKETPLACE_JWT_SECRET="a-real-production-secret-0123456789",
                dev_signin=False,
            )
        )
    )
    assert client.get("/dev/mail").status_code == 404
    assert "/dev/mail" not in client.get("/").text
    assert not [path for _, path, _ in notifications.calls if path.startswith("/v1/dev")]
