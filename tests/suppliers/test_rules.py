"""Unit tests of the suppliers' domain: catalogue, subscriptions, profile and webhook rules."""

from __future__ import annotations

import ipaddress
import random
from datetime import UTC, datetime

import pytest

from suppliers.domain import catalogue, subscriptions
from suppliers.domain import webhooks as hooks
from suppliers.domain.catalogue import Deployment, SolutionRetiredError
from suppliers.domain.errors import RuleViolation
from suppliers.domain.profile import normalize_org_number, profile_fields

BASE = {
    "name": " VR-träning ",
    "description": "VR training for care staff",
    "cpv_codes": ["80500000-9", "80500000"],
    "regions": ["1780", "17"],
    "maturity": "pilot",
    "tags": ["Social Enterprise", "social-enterprise"],
    "languages": ["SV", "en"],
}


def test_publish_normalises_and_starts_at_version_1() -> None:
    s = catalogue.publish("s1", "acme", BASE)
    assert s.version == 1 and s.status == "published" and s.adoption_count == 0
    assert s.name == "VR-träning"
    assert s.cpv_codes == ["80500000"]
    assert s.regions == ["1780", "17"]
    assert s.tags == ["social-enterprise"]
    assert s.languages == ["sv", "en"]


def test_the_whole_country_covers_every_other_region() -> None:
    s = catalogue.publish("s1", "acme", {**BASE, "regions": ["1780", "SE", "17"]})
    assert s.regions == ["SE"]


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"cpv_codes": ["805"]}, "cpv_codes.0"),
        ({"cpv_codes": ["80500000-1"]}, "cpv_codes.0"),  # wrong check digit
        ({"cpv_codes": []}, "cpv_codes"),
        ({"regions": ["99"]}, "regions.0"),
        ({"regions": ["1781", "ZZ"]}, "regions.1"),
        ({"regions": []}, "regions"),
        ({"maturity": "beta"}, "maturity"),
        ({"name": "   "}, "name"),
        ({"tags": ["no spaces!"]}, "tags.0"),
        ({"languages": ["swedish"]}, "languages.0"),
    ],
)
def test_bad_fields_are_named(changes: dict[str, object], field: str) -> None:
    with pytest.raises(RuleViolation) as err:
        catalogue.publish("s1", "acme", {**BASE, **changes})
    assert err.value.field == field


def test_missing_required_field_is_named() -> None:
    with pytest.raises(RuleViolation) as err:
        catalogue.publish("s1", "acme", {k: v for k, v in BASE.items() if k != "maturity"})
    assert err.value.field == "maturity"


def test_update_raises_version_and_keeps_the_rest() -> None:
    s = catalogue.publish("s1", "acme", BASE)
    u = catalogue.update(s, {"maturity": "market-ready", "price_model": "per user"})
    assert (u.version, u.maturity, u.price_model) == (2, "market-ready", "per user")
    assert u.cpv_codes == s.cpv_codes
    with pytest.raises(RuleViolation) as err:
        catalogue.update(u, {"name": None})
    assert err.value.field == "name"
    with pytest.raises(RuleViolation):
        catalogue.update(u, {})


def test_retired_is_final() -> None:
    r = catalogue.retire(catalogue.publish("s1", "acme", BASE))
    assert (r.status, r.version) == ("retired", 2)
    with pytest.raises(SolutionRetiredError):
        catalogue.update(r, {"name": "x"})
    with pytest.raises(SolutionRetiredError):
        catalogue.retire(r)


def test_a_deployment_counts_once() -> None:
    s = catalogue.publish("s1", "acme", BASE)
    d = Deployment(
        "a1", "karlstad", "1780", "n1", datetime(2024, 10, 1, tzinfo=UTC), "implementation"
    )
    once = catalogue.add_deployment(s, d)
    twice = catalogue.add_deployment(once, d)
    assert once.adoption_count == 1 and once.version == 2
    assert twice is once
    other = catalogue.add_deployment(
        once, Deployment("a2", "hammaro", "1761", None, d.since, "adoption")
    )
    assert other.adoption_count == 2 and other.public_state()["adoption_count"] == 2


def test_subscription_needs_a_criterion_and_normalises() -> None:
    with pytest.raises(RuleViolation) as err:
        subscriptions.subscribe("x", "acme")
    assert err.value.field == "cpv_prefixes"
    sub = subscriptions.subscribe(
        "x",
        "acme",
        cpv_prefixes=["80500000-9", "805", "4521"],
        regions=["17"],
        keywords=[" VR  träning ", "vr träning"],
        phases=["validation"],
    )
    assert sub.cpv_prefixes == ["805", "4521"]
    assert sub.keywords == ["VR träning"]
    assert sub.public_state()["version"] == 1
    assert subscriptions.delete(sub).version == 2


@pytest.mark.parametrize(
    ("given", "field"),
    [
        ({"cpv_prefixes": ["8"]}, "cpv_prefixes.0"),
        ({"cpv_prefixes": ["abc"]}, "cpv_prefixes.0"),
        ({"regions": ["0000"]}, "regions.0"),
        ({"keywords": ["  "]}, "keywords.0"),
        ({"phases": ["someday"]}, "phases.0"),
    ],
)
def test_bad_subscription_fields_are_named(given: dict[str, list[str]], field: str) -> None:
    with pytest.raises(RuleViolation) as err:
        subscriptions.subscribe("x", "acme", **given)
    assert err.value.field == field


def test_profile_rules() -> None:
    assert normalize_org_number("5560160680") == "556016-0680"
    with pytest.raises(RuleViolation, match="check digit"):
        normalize_org_number("556016-0681")
    with pytest.raises(RuleViolation) as err:
        profile_fields(
            name="Acme",
            organisation_number="556016-0680",
            contact_email="nope",
            contact_name=None,
            contact_phone=None,
            regions=["SE"],
        )
    assert err.value.field == "contact.email"


def test_signature_round_trip_and_replay_window() -> None:
    body = b'{"a":1}'
    header = hooks.signature_header("s" * 16, 1_700_000_000, body)
    assert header.startswith("t=1700000000,v1=")
    assert hooks.verify_signature("s" * 16, header, body, now=1_700_000_100)
    assert not hooks.verify_signature("s" * 16, header, body + b" ", now=1_700_000_100)
    assert not hooks.verify_signature("t" * 16, header, body, now=1_700_000_100)
    assert not hooks.verify_signature("s" * 16, header, body, now=1_700_000_301)  # too old


def test_backoff_grows_with_jitter_and_is_capped() -> None:
    rng = random.Random(1)
    delays = [hooks.backoff_delay(n, 1.0, 10.0, rng) for n in range(1, 8)]
    for n, d in enumerate(delays, start=1):
        ceiling = min(10.0, 2 ** (n - 1))
        assert ceiling / 2 <= d <= ceiling
    assert len({round(d, 6) for d in delays}) == len(delays)


@pytest.mark.parametrize(
    ("address", "loopback_allowed", "refused"),
    [
        ("93.184.216.34", False, False),
        ("2606:2800:220:1::1", False, False),
        ("127.0.0.1", False, True),
        ("127.0.0.1", True, False),
        ("::1", True, False),
        ("10.1.2.3", True, True),
        ("192.168.0.1", True, True),
        ("172.16.5.4", True, True),
        ("169.254.169.254", True, True),
        ("fe80::1", True, True),
        ("0.0.0.0", True, True),
        ("224.0.0.1", True, True),
        ("100.64.0.1", True, True),
        ("::ffff:10.0.0.1", True, True),
        ("fc00::1", True, True),
    ],
)
def test_address_rules(address: str, loopback_allowed: bool, refused: bool) -> None:
    reason = hooks.refusal(ipaddress.ip_address(address), allow_loopback=loopback_allowed)
    assert (reason is not None) is refused


def test_every_resolved_address_must_be_allowed() -> None:
    hooks.check_addresses("example.se", ["93.184.216.34"], allow_loopback=False)
    with pytest.raises(RuleViolation) as err:
        hooks.check_addresses("evil.example", ["93.184.216.34", "10.0.0.1"], allow_loopback=False)
    assert err.value.field == "url"
    with pytest.raises(RuleViolation, match="does not resolve"):
        hooks.check_addresses("nowhere.invalid", [], allow_loopback=False)


@pytest.mark.parametrize(
    "url", ["ftp://example.se/x", "https:///x", "https://user:pw@example.se/", "example.se"]
)
def test_url_syntax(url: str) -> None:
    with pytest.raises(RuleViolation):
        hooks.parse_url(url)
