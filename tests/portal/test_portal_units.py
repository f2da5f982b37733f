"""Fast tests of the portal's pieces: no services, no browser."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from jinja2 import Environment, FileSystemLoader

from marketplace_platform.auth import verify_token
from marketplace_platform.settings import DEV_JWT_SECRET
from portal.app import build, safe_next
from portal.i18n import Translator
from portal.identity import DevSignIn, SignInRefused
from portal.session import decode, encode
from portal.settings import PortalSettings
from portal.views import adoption_chart, adoption_series, by_county, municipality_options

TEMPLATES = Path(__file__).resolve().parents[2] / "services/portal/src/portal/templates"


def test_swedish_numbers_and_dates() -> None:
    sv, en = Translator("sv"), Translator("en")
    assert sv.number(97000) == "97\u00a0000"
    assert sv.number(0.825, 2) == "0,82" or sv.number(0.825, 2) == "0,83"
    assert en.number(97000) == "97,000"
    when = datetime(2025, 3, 2, 14, 5, tzinfo=UTC)
    assert sv.date(when) == "2 mars 2025"
    assert sv.date(when.isoformat(), with_time=True) == "2 mars 2025 14:05"
    assert en.date(when) == "2 March 2025"
    assert sv.phase("co-creation") == "Samskapande"


def test_municipalities_sort_the_swedish_way() -> None:
    names = [o.label for o in municipality_options()]
    assert len(names) == 290
    assert (
        names.index("Ystad") < names.index("Åre") < names.index("Älmhult") < names.index("Örebro")
    )


def test_the_session_cookie_is_signed_and_expires() -> None:
    key = b"k" * 32
    value = encode({"csrf": "x", "iat": 10**10}, key)
    assert decode(value, key, 3600) == {"csrf": "x", "iat": 10**10}
    body, sig = value.split(".")
    assert decode(body + "." + sig[::-1], key, 3600) is None
    assert decode(value, b"other" * 8, 3600) is None
    assert decode(encode({"csrf": "x", "iat": 1}, key), key, 3600) is None


def test_redirects_stay_local() -> None:
    assert safe_next("/needs?q=1") == "/needs?q=1"
    for bad in ("https://evil.example", "//evil.example", "/\\evil", None, ""):
        assert safe_next(bad) == "/"


def test_dev_sign_in_mints_the_services_token() -> None:
    signed = DevSignIn(DEV_JWT_SECRET).sign_in(
        {"org": "karlstad", "role": "buyer", "municipality_code": "1780"}
    )
    principal = verify_token(signed.token, DEV_JWT_SECRET)
    assert (principal.org, principal.role, principal.municipality_code) == (
        "karlstad",
        "buyer",
        "1780",
    )
    for form, field in (
        ({"org": "Bad Org", "role": "buyer"}, "org"),
        ({"org": "ok-org", "role": "root"}, "role"),
        ({"org": "ok-org", "role": "buyer", "municipality_code": "9999"}, "municipality_code"),
    ):
        with pytest.raises(SignInRefused) as refused:
            DevSignIn(DEV_JWT_SECRET).sign_in(form)
        assert refused.value.field == field


def test_forms_need_the_session_csrf_token() -> None:
    client = TestClient(build(PortalSettings()))
    page = client.get("/signin")
    assert page.status_code == 200
    assert "content-security-policy" in page.headers
    refused = client.post("/signin", data={"org": "karlstad", "role": "buyer", "csrf": "nope"})
    assert refused.status_code == 403
    csrf = page.text.split('name="csrf" value="')[1].split('"')[0]
    ok = client.post(
        "/signin",
        data={"org": "karlstad", "role": "buyer", "csrf": csrf, "next": "/"},
        follow_redirects=False,
    )
    assert ok.status_code == 303
    cookie = ok.headers["set-cookie"].lower()
    assert "httponly" in cookie
    assert "samesite=lax" in cookie


def test_production_refuses_the_development_sign_in() -> None:
    settings = PortalSettings(MARKETPLACE_JWT_SECRET="a-real-production-secret-0123456789")
    settings.environment = "production"
    with pytest.raises(ValueError, match="OIDC"):
        build(settings)


def test_adoption_by_county_and_chart() -> None:
    deployments = [
        {
            "buyer_org": "karlstad",
            "municipality_code": "1780",
            "since": "2022-09-01T00:00:00+00:00",
        },
        {
            "buyer_org": "helsingborg",
            "municipality_code": "1283",
            "since": "2024-01-01T00:00:00+00:00",
        },
        {"buyer_org": "hammaro", "municipality_code": "1761", "since": "2025-02-01T00:00:00+00:00"},
    ]
    groups = by_county(deployments)
    assert [g.name for g in groups] == ["Skåne län", "Värmlands län"]
    assert groups[1].places == ["hammaro (Hammarö)", "karlstad (Karlstad)"]
    points = adoption_series(deployments)
    assert [n for _, n in points] == [1, 2, 3]
    svg = adoption_chart("ViroteaED <VR>", points, Translator("sv"))
    assert svg.count("<circle") == 3
    assert "ViroteaED &lt;VR&gt;" in svg
    assert "1 september 2022" in svg


def test_a_scaling_opportunity_is_highlighted_with_its_adoption_count() -> None:
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=True)
    entry = {
        "id": "e1",
        "kind": "scaling",
        "need_id": "n1",
        "need_title": "Digital ledsagning",
        "solution_id": "s1",
        "solution_name": "ViroteaED",
        "supplier_org": "virotea",
        "score": 0.71,
        "reasons": [
            {
                "component": "cpv",
                "score": 0.6,
                "detail": "CPV group 805 (Training services)",
                "code": "cpv.shared",
                "params": {"level": "group", "prefix": "805"},
            }
        ],
        "adoption_count": 27,
        "read": False,
        "created_at": "2025-03-02T09:00:00+00:00",
    }

    class Buyer:
        role = "buyer"

    html = env.get_template("_entry.html").render(
        entry=entry, t=Translator("sv"), user=Buyer(), csrf="c"
    )
    assert 'class="item entry scaling unread"' in html
    assert "Används av 27 organisationer" in html
    assert "0,71" in html
    assert "Samma CPV-grupp: 805 Utbildningstjänster" in html
    assert "Training services" not in html
    assert "från virotea" in html  # look-alike solutions are told apart by their supplier


def test_every_text_key_the_templates_use_exists_in_both_languages() -> None:
    import re

    from portal.i18n import TEXTS

    used: set[str] = set()
    for template in TEMPLATES.glob("*.html"):
        used |= set(re.findall(r"""\bt\(\s*["']([a-z0-9_]+)["']""", template.read_text()))
    assert used, "no keys found: the pattern no longer fits the templates"
    # "kind_" ~ kind and the like are composed in the template: their family must exist.
    prefixes = {k for k in used if k.endswith("_")}
    assert all(any(t.startswith(p) for t in TEXTS) for p in prefixes), prefixes
    missing = sorted(k for k in used - prefixes if k not in TEXTS)
    assert not missing, f"untranslated keys: {missing}"
    assert all(sv and en for sv, en in TEXTS.values())


@pytest.mark.parametrize("lang", ["sv", "en"])
def test_supplier_entries_are_headed_in_plain_words_without_event_types(lang: str) -> None:
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=True)

    class Supplier:
        role = "supplier"

    entries = [
        {
            "id": "m1",
            "kind": "match.found",
            "title": "Your solution 'ViroteaED' fits the need 'Digital ledsagning'",
            "need_id": "n1",
            "solution_id": "s1",
            "score": 0.8,
            "read": False,
            "created_at": "2025-03-02T09:00:00+00:00",
            "data": {
                "solution_name": "ViroteaED",
                "need_title": "Digital ledsagning",
                "reasons": [
                    {
                        "component": "social_proof",
                        "score": 0.0,
                        "detail": "no deployments yet",
                        "code": "social_proof",
                        "params": {"adoptions": 0},
                    }
                ],
            },
        },
        {
            "id": "a1",
            "kind": "alert.raised",
            "title": "A need fits your subscription: 'Hållbar handling'",
            "need_id": "n2",
            "solution_id": None,
            "score": None,
            "read": True,
            "created_at": "2025-03-02T09:00:00+00:00",
            "data": {"need_title": "Hållbar handling", "reasons": []},
        },
        {
            "id": "w1",
            "kind": "webhook.paused",
            "title": "Your webhook https://example.se/hook was paused",
            "need_id": None,
            "solution_id": None,
            "score": None,
            "read": False,
            "created_at": "2025-03-02T09:00:00+00:00",
            "data": {"url": "https://example.se/hook"},
        },
    ]
    t = Translator(lang)  # type: ignore[arg-type]
    html = "".join(
        env.get_template("_entry.html").render(entry=e, t=t, user=Supplier(), csrf="c")
        for e in entries
    )
    for raw in ("match.found", "alert.raised", "webhook.paused", "social_proof", "no deployments"):
        assert f">{raw}" not in html and f"{raw}<" not in html and f" {raw} " not in html, raw
    if lang == "sv":
        assert "Er lösning ViroteaED passar behovet Digital ledsagning" in html
        assert "Ett behov passar er bevakning: Hållbar handling" in html
        assert "Används inte någonstans ännu" in html
        assert "Bevakning" in html and "Matchning" in html
    else:
        assert "Your solution ViroteaED fits the need Digital ledsagning" in html
        assert "Not in use anywhere yet" in html


def test_every_page_has_an_icon_and_the_browser_finds_it() -> None:
    client = TestClient(build(PortalSettings()))
    assert 'rel="icon" href="/static/favicon.svg"' in client.get("/signin").text
    for path in ("/favicon.ico", "/static/favicon.svg"):
        icon = client.get(path)
        assert icon.status_code == 200, path
        assert icon.headers["content-type"].startswith("image/svg+xml")
        assert icon.text.startswith("<svg")


@pytest.mark.parametrize("lang", ["sv", "en"])
def test_refused_fields_are_said_beside_each_field_with_the_values_kept(lang: str) -> None:
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=True)
    env.globals["cpv"] = lambda code: type(
        "C", (), {"code": code, "full": code, "label": None, "name": code}
    )()
    refused = [  # as the needs service answers an empty form and an unknown code
        {
            "field": "title",
            "rule": "string_too_short",
            "message": "String should have at least 1 character",
            "value": "",
        },
        {
            "field": "problem",
            "rule": "string_too_short",
            "message": "String should have at least 1 character",
            "value": "",
        },
        {
            "field": "cpv_codes.0",
            "rule": "value_error",
            "message": "unknown CPV code '99999999': it is not one of ...",
            "value": "99999999",
        },
        {
            "field": "municipality_code",
            "rule": "value_error",
            "message": "malformed municipality code '': expected four digits",
            "value": "",
        },
    ]
    html = env.get_template("need_new.html").render(
        t=Translator(lang),  # type: ignore[arg-type]
        values={"title": "", "problem": "", "cpv_codes": ["99999999"], "tags": []},
        field_errors=refused,
        error="title: String should have at least 1 character; ...",
        preview=None,
        municipality_options=[],
        practice_tags=[],
        csrf="c",
        user=None,
        flash=None,
        lang=lang,
    )
    assert "String should have" not in html and "Tjänsten svarade" not in html
    if lang == "sv":
        for said in (
            "Ange en rubrik.",
            "Beskriv problemet.",
            "Okänd CPV-kod 99999999.",
            "Välj en kommun.",
            "Rätta de markerade fälten.",
        ):
            assert said in html, said
    else:
        assert "Unknown CPV code 99999999." in html and "Enter a title." in html
    assert 'aria-invalid="true" aria-describedby="title-error"' in html
    assert 'id="title-error"' in html and 'id="cpv_codes-error"' in html
    assert 'value="99999999"' in html  # what was entered stays in the form


def test_a_new_need_starts_in_the_buyers_own_municipality() -> None:
    client = TestClient(build(PortalSettings()))
    csrf = client.get("/signin").text.split('name="csrf" value="')[1].split('"')[0]
    client.post(
        "/signin",
        data={"org": "karlstad", "role": "buyer", "municipality_code": "1780", "csrf": csrf},
        follow_redirects=False,
    )
    form = client.get("/needs/new").text
    chosen = form.split('id="municipality_code"')[1].split("</select>")[0]
    assert 'value="1780" selected' in chosen
    assert chosen.count("selected") == 1


@pytest.mark.parametrize(
    ("lang", "said"),
    [
        (
            "sv",
            {
                "name": "Ange lösningens namn.",
                "description": "Beskriv lösningen.",
                "cpv_codes": "Välj minst en CPV-kod.",
                "regions": "Välj minst ett område.",
                "maturity": "Välj mognad.",
            },
        ),
        (
            "en",
            {
                "name": "Enter the solution's name.",
                "description": "Describe the solution.",
                "cpv_codes": "Choose at least one CPV code.",
                "regions": "Choose at least one area.",
                "maturity": "Choose a maturity.",
            },
        ),
    ],
)
def test_an_empty_solution_form_names_each_missing_field(lang: str, said: dict[str, str]) -> None:
    # As the suppliers service answers an empty form (tests/suppliers/test_service.py), and
    # as its rules answer a blank name sent on an edit.
    too_short = "String should have at least 1 character"
    no_items = "List should have at least 1 item after validation, not 0"
    refused = [
        {"field": "name", "rule": "string_too_short", "message": too_short},
        {"field": "description", "rule": "string_too_short", "message": too_short},
        {"field": "cpv_codes", "rule": "too_short", "message": no_items},
        {"field": "regions", "rule": "too_short", "message": no_items},
        {"field": "maturity", "rule": "missing", "message": "Field required"},
    ]
    t = Translator(lang)  # type: ignore[arg-type]
    assert t.field_errors(refused) == said
    blank = [{"field": "name", "rule": "invalid", "message": "must not be empty"}]
    assert t.field_errors(blank) == {"name": said["name"]}


@pytest.mark.parametrize(
    ("lang", "said"),
    [
        ("sv", ("Rätta uppgifterna i formuläret", "Okänd CPV-kod 99999999.")),
        ("en", ("Correct the details in the form", "Unknown CPV code 99999999.")),
    ],
)
def test_a_refused_preview_says_what_to_correct_not_the_services_words(
    lang: str, said: tuple[str, str]
) -> None:
    from portal.routes.needs import with_values

    # As matching answers a draft with a code outside the vocabulary: no value in the error.
    refused = [
        {
            "field": "cpv_codes.1",
            "rule": "invalid",
            "message": "unknown CPV code '99999999': it is not one of the 9454 codes",
        }
    ]
    errors = with_values(refused, {"cpv_codes": ["80500000", "99999999"]})
    assert errors[0]["value"] == "99999999"
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=True)
    html = env.get_template("_preview.html").render(
        t=Translator(lang),  # type: ignore[arg-type]
        preview={"items": [], "refused": True, "errors": errors, "unavailable": False},
    )
    assert all(s in html for s in said), html
    assert "unknown CPV code" not in html and "Tjänsten svarade" not in html
    assert "The service answered" not in html
