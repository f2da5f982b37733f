"""The notifications domain and its messages, without infrastructure: preferences, the
digest schedule on an injected clock, signed links, and what a person reads."""

from __future__ import annotations

import email
import email.policy
import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from marketplace_contracts import events as ev
from marketplace_platform.errors import Conflict, Invalid
from notifications.domain import contacts, links
from notifications.domain.notices import digest_order, notices_of
from notifications.domain.preferences import Rule, cadence_for, parse_rules, with_rule
from notifications.domain.schedule import next_slot, zone
from notifications.service import compose

STOCKHOLM = ZoneInfo("Europe/Stockholm")
SECRET = "test-secret-0123456789-0123456789-abcdef"


def reason(code: str, **params: object) -> ev.MatchReason:
    return ev.MatchReason(
        component=code.split(".", maxsplit=1)[0], score=0.3, detail="x", code=code, params=params
    )


def alert(
    subscription: str = "sub-1", need: str = "n-1", score_reason: str = "cpv.shared"
) -> ev.AlertRaised:
    return ev.AlertRaised(
        alert_id=f"{subscription}:{need}",
        subscription_id=subscription,
        supplier_org="vrutbildning-ab",
        need_id=need,
        need_version=1,
        need_title="Träning för vårdpersonal i äldreomsorgen",
        buyer_org="karlstad",
        municipality_code="1780",
        phase="validation",
        reasons=[reason(score_reason, level="group", prefix="805")],
    )


def match(need: str = "n-1", solution: str = "s-1", score: float = 0.7) -> ev.MatchFound:
    return ev.MatchFound(
        match_id=f"{need}:{solution}",
        need_id=need,
        need_version=1,
        need_title="Träning för vårdpersonal i äldreomsorgen",
        buyer_org="karlstad",
        solution_id=solution,
        solution_version=1,
        solution_name="VR-utbildning för vård och omsorg",
        supplier_org="vrutbildning-ab",
        score=score,
        reasons=[reason("text.terms", terms=["vårdpersonal", "utbildning"])],
    )


# --- preferences -------------------------------------------------------------------------


def test_the_most_specific_rule_decides_and_defaults_fill_in() -> None:
    rules = parse_rules(
        [
            {"kind": "alerts", "scope": None, "cadence": "daily"},
            {"kind": "alerts", "scope": "sub-2", "cadence": "off"},
        ]
    )
    assert cadence_for(rules, "alerts", "sub-1") == "daily"
    assert cadence_for(rules, "alerts", "sub-2") == "off"
    assert cadence_for(rules, "scaling", "n-1") == "immediate"  # the kind's default
    assert cadence_for(rules, "matches", "n-1") == "daily"
    replaced = with_rule(rules, Rule("alerts", "sub-2", "weekly"))
    assert cadence_for(replaced, "alerts", "sub-2") == "weekly"
    assert len(replaced) == 2


@pytest.mark.parametrize(
    ("rule", "field"),
    [
        ({"kind": "news", "cadence": "daily"}, "preferences[0].kind"),
        ({"kind": "alerts", "cadence": "hourly"}, "preferences[0].cadence"),
        ({"kind": "alerts", "cadence": "daily", "scope": ""}, "preferences[0].scope"),
    ],
)
def test_a_bad_rule_is_refused_by_field(rule: dict[str, object], field: str) -> None:
    with pytest.raises(Invalid) as refused:
        parse_rules([rule])
    assert refused.value.field == field


def test_two_rules_for_one_kind_and_scope_are_refused() -> None:
    with pytest.raises(Invalid) as refused:
        parse_rules([{"kind": "alerts", "cadence": "daily"}, {"kind": "alerts", "cadence": "off"}])
    assert refused.value.field == "preferences[1].scope"


# --- contacts ----------------------------------------------------------------------------


def test_a_contact_is_checked_and_an_address_is_not_added_twice() -> None:
    at = datetime(2026, 12, 6, tzinfo=UTC)
    first = contacts.new_contact(
        [],
        name=" Åsa Öberg ",
        email="Asa.Oberg@Karlstad.SE",
        language="sv",
        time_zone="Europe/Stockholm",
        at=at,
        verified=False,
    )
    assert first["name"] == "Åsa Öberg"
    assert first["email"] == "Asa.Oberg@karlstad.se"  # the domain lower-cased
    assert not contacts.reachable(first)
    with pytest.raises(Conflict):
        contacts.new_contact(
            [first],
            name="Åsa",
            email="asa.oberg@karlstad.se",
            language="sv",
            time_zone="Europe/Stockholm",
            at=at,
            verified=False,
        )
    for field, values in {
        "email": {"email": "inte en adress"},
        "language": {"language": "de"},
        "time_zone": {"time_zone": "Europe/Karlstad"},
        "name": {"name": "  "},
    }.items():
        arguments: dict[str, object] = {
            "name": "Åsa",
            "email": "asa@hammaro.se",
            "language": "sv",
            "time_zone": "Europe/Stockholm",
            **values,
        }
        with pytest.raises(Invalid) as refused:
            contacts.new_contact([], at=at, verified=False, **arguments)  # type: ignore[arg-type]
        assert refused.value.field == field


# --- the digest schedule -----------------------------------------------------------------


def test_a_daily_digest_goes_out_at_the_local_hour_next() -> None:
    before = datetime(2026, 12, 6, 5, 59, tzinfo=UTC)  # 06:59 in Stockholm (UTC+1)
    slot = next_slot(before, "daily", STOCKHOLM, hour=7)
    assert slot.key == "daily:2026-12-06"
    assert slot.due_at == datetime(2026, 12, 6, 6, 0, tzinfo=UTC)
    at_seven = next_slot(slot.due_at, "daily", STOCKHOLM, hour=7)  # strictly after
    assert at_seven.key == "daily:2026-12-07"


def test_the_digest_hour_follows_summer_time_and_other_zones() -> None:
    # Summer time began in Sweden on 2026-03-29: 07:00 is 05:00 UTC from that day.
    slot = next_slot(datetime(2026, 3, 28, 12, tzinfo=UTC), "daily", STOCKHOLM, hour=7)
    assert slot.due_at == datetime(2026, 3, 29, 5, 0, tzinfo=UTC)
    london = next_slot(
        datetime(2026, 12, 6, 12, tzinfo=UTC), "daily", zone("Europe/London"), hour=7
    )
    assert london.due_at == datetime(2026, 12, 7, 7, 0, tzinfo=UTC)


def test_a_weekly_digest_waits_for_its_weekday() -> None:
    sunday = datetime(2026, 12, 6, 12, tzinfo=UTC)
    slot = next_slot(sunday, "weekly", STOCKHOLM, hour=7, weekday=0)
    assert slot.key == "weekly:2026-12-07"
    following = next_slot(slot.due_at + timedelta(seconds=1), "weekly", STOCKHOLM, hour=7)
    assert following.key == "weekly:2026-12-14"


def test_an_unknown_time_zone_is_refused() -> None:
    with pytest.raises(Invalid):
        zone("Mars/Olympus")


# --- links -------------------------------------------------------------------------------


def test_links_are_signed_for_their_purpose() -> None:
    now = datetime(2026, 12, 6, tzinfo=UTC)
    token = links.verification_token(SECRET, "karlstad", "c1", "a@karlstad.se", now)
    assert links.read_verification(SECRET, token) == ("karlstad", "c1", "a@karlstad.se")
    with pytest.raises(links.BadLink):
        links.read_unsubscribe(SECRET, token)  # a verification is no unsubscribe
    with pytest.raises(links.BadLink):
        links.read_verification("another-secret-0123456789-0123456789", token)
    expired = links.verification_token(
        SECRET, "karlstad", "c1", "a@karlstad.se", now - timedelta(days=8)
    )
    with pytest.raises(links.BadLink):
        links.read_verification(SECRET, expired)
    stop = links.Unsubscribe("karlstad", "c1", "alerts", "sub-1")
    assert links.read_unsubscribe(SECRET, links.unsubscribe_token(SECRET, stop)) == stop


# --- notices and messages ----------------------------------------------------------------


def test_a_match_tells_the_buyer_and_the_supplier() -> None:
    at = datetime(2026, 12, 6, tzinfo=UTC)
    notices = notices_of(match(), "e1", at)
    assert [(n.org, n.kind, n.scope) for n in notices] == [
        ("karlstad", "matches", "n-1"),
        ("vrutbildning-ab", "matches", "s-1"),
    ]
    assert notices_of(alert(), "e2", at)[0].scope == "sub-1"


def test_a_digest_groups_by_need_and_ranks_by_score() -> None:
    items = [
        {"event_id": "a", "need_id": "n1", "need_title": "Ett", "score": 0.4},
        {"event_id": "b", "need_id": "n2", "need_title": "Två", "score": 0.9},
        {"event_id": "c", "need_id": "n1", "need_title": "Ett", "score": 0.6},
    ]
    order = digest_order(items)
    assert [need for need, _ in order] == ["n2", "n1"]
    assert [i["event_id"] for i in order[1][1]] == ["c", "a"]


def test_both_languages_have_every_word() -> None:
    assert set(compose.WORDS["sv"]) == set(compose.WORDS["en"])
    for lang, words in compose.WORDS.items():
        for key, text in words.items():
            assert text.strip(), (lang, key)


RAW = re.compile(
    r"match\.found|alert\.raised|scaling\.opportunity|need_title|supplier_org|"
    r"cpv\.shared|text\.terms|\{[a-z_]+\}|None"
)


@pytest.mark.parametrize("lang", ["sv", "en"])
def test_an_immediate_alert_reads_in_the_contacts_language(lang: str) -> None:
    at = datetime(2026, 12, 6, tzinfo=UTC)
    notice = notices_of(alert(), "e2", at)[0]
    to = compose.Recipient("vrutbildning-ab", "c1", "Åsa Öberg", "asa@vr.se", lang)  # type: ignore[arg-type]
    message = compose.immediate(
        "m1",
        to,
        {**notice.item, "kind": "alerts", "scope": "sub-1"},
        compose.Links("http://portal", "http://n/v1/unsubscribe?token=t"),
        at,
    )
    parsed = email.message_from_bytes(message.as_bytes(), policy=email.policy.default)
    text = parsed.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    html = parsed.get_body(("html",)).get_content()  # type: ignore[union-attr]
    assert parsed["List-Unsubscribe"] == "<http://n/v1/unsubscribe?token=t>"
    assert parsed["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert parsed["Message-ID"] == "<m1@marketplace.local>"
    assert parsed["Content-Language"] == lang
    assert "Träning för vårdpersonal i äldreomsorgen" in parsed["Subject"]
    assert "http://portal/needs/n-1" in text and 'href="http://portal/needs/n-1"' in html
    if lang == "sv":
        assert "Hej Åsa Öberg" in text and "Samma CPV-grupp" in text and "Karlstad" in text
        assert "Validering" in text
    else:
        assert "Hello Åsa Öberg" in text and "Same CPV group" in text and "Validation" in text
    for body in (text, html, str(parsed["Subject"])):
        assert not RAW.search(body), RAW.search(body)


def test_a_digest_names_its_count_in_singular_and_plural() -> None:
    at = datetime(2026, 12, 6, tzinfo=UTC)
    to = compose.Recipient("karlstad", "c1", "Per", "per@karlstad.se", "sv")
    one = [{**notices_of(match(), "e1", at)[0].item, "kind": "matches", "scope": "n-1"}]
    three = one + [
        {**notices_of(match(need=f"n-{i}", score=0.5), f"e{i}", at)[0].item, "kind": "matches"}
        for i in (2, 3)
    ]
    links_ = compose.Links("http://portal", "http://n/u")
    single = compose.digest("d1", to, cadence="daily", items=one, links=links_, at=at)
    plural = compose.digest("d2", to, cadence="weekly", items=three, links=links_, at=at)
    assert single["Subject"] == "Dagens sammanfattning: 1 nyhet"
    assert plural["Subject"] == "Veckans sammanfattning: 3 nyheter"
    text = plural.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert text.index("n-1") < text.index("n-2")  # the best score first
    assert not RAW.search(text)


def test_a_growing_scaling_opportunity_is_one_notice_key() -> None:
    at = datetime(2026, 12, 6, tzinfo=UTC)

    def opportunity(count: int) -> ev.ScalingOpportunity:
        return ev.ScalingOpportunity(
            opportunity_id="hammaro:s-1",
            buyer_org="hammaro",
            need_id="n-9",
            need_title="VR-utbildning för vårdpersonal",
            solution_id="s-1",
            solution_name="ViroteaED",
            supplier_org="virotea",
            adoption_count=count,
            deployments=[],
            score=0.6,
            reasons=[],
            triggered_by=f"a-{count}",
        )

    first = notices_of(opportunity(1), "e-1", at)[0].item
    later = notices_of(opportunity(5), "e-5", at)[0].item
    assert first["once_key"] == later["once_key"] == "hammaro:s-1"
    assert notices_of(alert(), "e-7", at)[0].item["once_key"] == "e-7"
