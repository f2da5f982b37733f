"""Subscriptions: a need fits when every given criterion holds, with one reason each."""

from __future__ import annotations

from dataclasses import replace

import pytest

from marketplace_contracts.events import Phase
from matching.domain.model import NeedProfile, SubscriptionProfile
from matching.domain.subscriptions import matching_subscriptions, need_text, subscription_fits

NEED = NeedProfile(
    need_id="n1",
    buyer_org="karlstad",
    title="Vårdpersonalsutbildningen i VR",
    problem="Personalen i äldreomsorgen ska få uppleva brukarens verklighet.",
    cpv_codes=("80530000", "85311100"),
    municipality_code="1780",
    phase="validation",
)


def sub(**kw: object) -> SubscriptionProfile:
    base: dict[str, object] = {"subscription_id": "sub1", "supplier_org": "virotea"}
    base.update(kw)
    return SubscriptionProfile(**base)  # type: ignore[arg-type]


def components(reasons: tuple[object, ...] | None) -> list[str]:
    assert reasons is not None
    return [r.component for r in reasons]  # type: ignore[attr-defined]


def test_empty_subscription_fits_any_open_need() -> None:
    reasons = subscription_fits(NEED, sub())
    assert components(reasons) == ["subscription"]


@pytest.mark.parametrize("prefix", ["805", "8053", "80530000", "80500000-9", "85"])
def test_cpv_prefix_fits(prefix: str) -> None:
    reasons = subscription_fits(NEED, sub(cpv_prefixes=(prefix,)))
    assert components(reasons) == ["cpv"]


@pytest.mark.parametrize("prefix", ["806", "72", "80533100", "8054"])
def test_cpv_prefix_does_not_fit(prefix: str) -> None:
    assert subscription_fits(NEED, sub(cpv_prefixes=(prefix,))) is None


def test_cpv_reason_names_code_and_prefix() -> None:
    reasons = subscription_fits(NEED, sub(cpv_prefixes=("80500000-9", "72")))
    assert reasons is not None
    assert reasons[0].detail == "CPV 80530000 under 805 (Training services)"


@pytest.mark.parametrize(
    ("regions", "detail"),
    [
        (("1780",), "region: Karlstad"),
        (("17",), "region: Karlstad in Värmlands län"),
        (("SE",), "region: all of Sweden"),
        (("12", "17"), "region: Karlstad in Värmlands län"),
        (("SE311",), "region: Karlstad in Värmlands län"),
        (("SE3",), "region: Karlstad in Värmlands län"),
    ],
)
def test_region_fits(regions: tuple[str, ...], detail: str) -> None:
    reasons = subscription_fits(NEED, sub(regions=regions))
    assert reasons is not None
    assert reasons[0].detail == detail


@pytest.mark.parametrize("regions", [("1761",), ("12",), ("0180", "01")])
def test_region_does_not_fit(regions: tuple[str, ...]) -> None:
    assert subscription_fits(NEED, sub(regions=regions)) is None


@pytest.mark.parametrize(
    "keyword",
    [
        "utbildning",
        "vårdpersonal",
        "personal",
        "vård",
        "VR",
        "äldreomsorg",
        "omsorg",
        "Utbildningar",
        "brukare",
        "uppleva verkligheten",
    ],
)
def test_keyword_fits_stemmed_and_decompounded(keyword: str) -> None:
    reasons = subscription_fits(NEED, sub(keywords=(keyword,)))
    assert components(reasons) == ["keyword"]


@pytest.mark.parametrize("keyword", ["snöröjning", "skola", "portal", "och", "digital ledsagning"])
def test_keyword_does_not_fit(keyword: str) -> None:
    assert subscription_fits(NEED, sub(keywords=(keyword,))) is None


def test_any_keyword_is_enough_and_all_are_reported() -> None:
    reasons = subscription_fits(NEED, sub(keywords=("snöröjning", "utbildning", "VR")))
    assert reasons is not None
    assert reasons[0].detail == "keywords: utbildning, vr"


def test_keyword_in_an_unknown_compound_is_found_by_its_own_word() -> None:
    need = replace(NEED, title="Drönarinspektioner av tak", problem="")
    reasons = subscription_fits(need, sub(keywords=("inspektion",)))
    assert reasons is not None
    assert "drönarinspektioner" in reasons[0].detail


def test_english_keyword_in_english_need() -> None:
    need = replace(NEED, title="VR training for care staff", problem="", language="en")
    assert subscription_fits(need, sub(keywords=("training",))) is not None
    assert subscription_fits(need, sub(keywords=("trainings",))) is not None
    assert subscription_fits(need, sub(keywords=("snow",))) is None


@pytest.mark.parametrize(
    ("phases", "fits"),
    [({"validation"}, True), ({"hypothesis", "validation"}, True), ({"procurement"}, False)],
)
def test_phase(phases: set[Phase], fits: bool) -> None:
    reasons = subscription_fits(NEED, sub(phases=frozenset(phases)))
    assert (reasons is not None) is fits


def test_withdrawn_need_fits_only_when_asked_for() -> None:
    withdrawn = replace(NEED, phase="withdrawn")
    assert subscription_fits(withdrawn, sub()) is None
    assert subscription_fits(withdrawn, sub(keywords=("utbildning",))) is None
    assert subscription_fits(withdrawn, sub(phases=frozenset({"withdrawn"}))) is not None


def test_every_criterion_must_hold() -> None:
    full = sub(
        cpv_prefixes=("805",),
        regions=("17",),
        keywords=("utbildning",),
        phases=frozenset({"validation"}),
    )
    assert components(subscription_fits(NEED, full)) == ["phase", "cpv", "region", "keyword"]
    assert subscription_fits(NEED, replace(full, cpv_prefixes=("90",))) is None
    assert subscription_fits(NEED, replace(full, regions=("12",))) is None
    assert subscription_fits(NEED, replace(full, keywords=("snö",))) is None
    assert subscription_fits(NEED, replace(full, phases=frozenset({"scaling"}))) is None


def test_invalid_subscription_input_is_rejected() -> None:
    with pytest.raises(ValueError):
        sub(cpv_prefixes=("8x",))
    with pytest.raises(ValueError):
        sub(regions=("178",))
    with pytest.raises(ValueError):
        sub(phases=frozenset({"done"}))


def test_matching_subscriptions_analyzes_once_and_orders_by_id() -> None:
    subs = [
        sub(subscription_id="b", keywords=("utbildning",)),
        sub(subscription_id="a", regions=("17",)),
        sub(subscription_id="c", keywords=("snöröjning",)),
    ]
    found = matching_subscriptions(NEED, subs)
    assert [s.subscription_id for s, _ in found] == ["a", "b"]
    text = need_text(NEED)
    assert subscription_fits(NEED, subs[0], text=text) == found[1][1]


def test_subscription_index_finds_exactly_what_a_scan_finds() -> None:
    """The CPV-filed index is only a shortcut: same subscriptions, same reasons, same order,
    across prefixes of every length, no CPV criteria, updates and removals."""
    import random

    from matching.domain.subscriptions import SubscriptionIndex

    rng = random.Random(11)
    prefixes = ["80", "805", "8053", "80530000", "85", "853", "85311", "45", "72", "7221"]
    regions = [(), ("17",), ("1780",), ("01",), ("SE",)]
    keywords = [(), ("utbildning",), ("snöröjning",), ("verklighet", "brukare")]
    index = SubscriptionIndex()
    subs: dict[str, SubscriptionProfile] = {}
    for i in range(300):
        s = sub(
            subscription_id=f"s{i:03d}",
            cpv_prefixes=tuple(rng.sample(prefixes, rng.randint(0, 2))),
            regions=rng.choice(regions),
            keywords=rng.choice(keywords),
        )
        subs[s.subscription_id] = s
        index.upsert(s)
    for i in range(0, 300, 7):  # updates: new criteria under the same id
        s = replace(subs[f"s{i:03d}"], cpv_prefixes=(rng.choice(prefixes),), version=2)
        subs[s.subscription_id] = s
        index.upsert(s)
    for i in range(3, 300, 11):
        subs.pop(f"s{i:03d}")
        index.remove(f"s{i:03d}")
    assert len(index) == len(subs)
    needs = [
        NEED,
        replace(NEED, cpv_codes=("72212000",)),
        replace(NEED, cpv_codes=("45000000", "85312000"), municipality_code="0180"),
    ]
    for need in needs:
        scanned = matching_subscriptions(need, list(subs.values()))
        assert scanned, "the fixture must produce fits"
        assert index.matching(need) == scanned
        assert len(index.candidates(need)) < len(subs)
