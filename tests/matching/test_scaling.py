"""Scaling opportunities: other buyers whose needs resemble an adopted solution."""

from __future__ import annotations

from dataclasses import replace

from matching.domain.model import NeedProfile, SolutionProfile
from matching.domain.need_index import NeedIndex
from matching.domain.scaling import find_scaling_opportunities, usage_profile

VIROTEA = SolutionProfile(
    solution_id="s01",
    supplier_org="virotea",
    name="ViroteaED",
    description="VR-utbildning för vård- och omsorgspersonal: upplev brukarens verklighet, "
    "demens och nedsatt syn, och träna bemötande.",
    cpv_codes=("80500000",),
    regions=("SE",),
    maturity="market-ready",
    adoption_count=26,
)


def need(need_id: str, buyer: str, title: str, problem: str, **kw: object) -> NeedProfile:
    base: dict[str, object] = {
        "need_id": need_id,
        "buyer_org": buyer,
        "title": title,
        "problem": problem,
        "cpv_codes": ("80500000",),
        "municipality_code": "1780",
        "phase": "validation",
    }
    base.update(kw)
    return NeedProfile(**base)  # type: ignore[arg-type]


ADOPTED_FOR = need(
    "n-karlstad",
    "karlstad",
    "Upplev min verklighet",
    "Vår vårdpersonal behöver förstå hur det är att leva med demens.",
)
NEEDS = [
    ADOPTED_FOR,
    need(
        "n-karlstad-2",
        "karlstad",
        "VR-utbildning i hemtjänsten",
        "Omsorgspersonalen i hemtjänsten behöver träna bemötande vid demens.",
    ),
    need(
        "n-arvika",
        "arvika",
        "VR-utbildning för omsorgspersonal",
        "Vi vill att omsorgspersonalen upplever brukarnas verklighet vid demens.",
        municipality_code="1784",
        cosigner_orgs=frozenset({"kristinehamn"}),
    ),
    need(
        "n-hammarö",
        "hammarö",
        "Utbildning av vårdpersonal i bemötande",
        "Bemötande av personer med demens och nedsatt syn i äldreomsorgen.",
        municipality_code="1761",
        phase="implementation",
        is_open=False,
    ),
    need(
        "n-luleå",
        "luleå",
        "Effektivare snöröjning",
        "Gator och cykelvägar plogas för sent.",
        cpv_codes=("90620000",),
        municipality_code="2580",
    ),
    need(
        "n-umeå",
        "umeå",
        "VR-utbildning för vårdpersonal",
        "Personalen ska uppleva demens.",
        municipality_code="2480",
        phase="withdrawn",
    ),
    need(
        "n-örebro",
        "örebro",
        "Utbildning för vårdpersonal om demens",
        "Bemötande och verklighet.",
        municipality_code="1880",
    ),
    need(
        "n-gävle-weak",
        "gävle",
        "Kurser i svenska",
        "Språkkurser för nyanlända medarbetare.",
        cpv_codes=("80000000",),
        municipality_code="2180",
    ),
    need(
        "n-gävle-strong",
        "gävle",
        "Förstå demens genom VR",
        "Vårdpersonalen ska uppleva hur demens och nedsatt syn känns, och träna bemötande.",
        municipality_code="2180",
    ),
]


def opportunities(**kw: object) -> dict[str, object]:
    index = NeedIndex()
    for n in NEEDS:
        index.upsert(n)
    found = find_scaling_opportunities(
        VIROTEA,
        "karlstad",
        index,
        adopted_for=ADOPTED_FOR,
        **kw,  # type: ignore[arg-type]
    )
    return {o.buyer_org: o for o in found}


def test_other_buyers_with_resembling_needs_are_found() -> None:
    found = opportunities(already_using=("örebro",))
    assert set(found) == {"arvika", "kristinehamn", "hammarö", "gävle"}


def test_adopting_buyer_and_users_are_never_told() -> None:
    found = opportunities(already_using=("örebro",))
    assert "karlstad" not in found
    assert "örebro" not in found
    assert "örebro" in opportunities()  # only because it was listed as a user


def test_withdrawn_and_unrelated_needs_are_skipped() -> None:
    found = opportunities()
    assert "umeå" not in found
    assert "luleå" not in found


def test_past_needs_count() -> None:
    found = opportunities()
    hammaro = found["hammarö"]
    assert hammaro.need_id == "n-hammarö"  # type: ignore[attr-defined]


def test_one_opportunity_per_buyer_with_its_best_need() -> None:
    found = opportunities()
    gavle = found["gävle"]
    assert gavle.need_id == "n-gävle-strong"  # type: ignore[attr-defined]


def test_cosigners_are_buyers_too() -> None:
    found = opportunities()
    k = found["kristinehamn"]
    assert k.need_id == "n-arvika"  # type: ignore[attr-defined]
    assert k.via_cosign  # type: ignore[attr-defined]
    assert not found["arvika"].via_cosign  # type: ignore[attr-defined]


def test_results_are_ordered_and_explained() -> None:
    index = NeedIndex()
    for n in NEEDS:
        index.upsert(n)
    found = find_scaling_opportunities(VIROTEA, "karlstad", index, adopted_for=ADOPTED_FOR)
    keys = [(-o.score, o.buyer_org) for o in found]
    assert keys == sorted(keys)
    for o in found:
        assert o.solution_id == "s01"
        assert [r.component for r in o.reasons] == ["cpv", "text"]
        assert 0.0 < o.score <= 1.0
    assert len(find_scaling_opportunities(VIROTEA, "karlstad", NEEDS, limit=2)) == 2


def test_threshold_filters() -> None:
    assert opportunities(threshold=1.01) == {}


def test_usage_profile_adds_the_need_it_was_adopted_for() -> None:
    # The supplier describes the product in English and under an IT code; the buyer that
    # adopted it described the need in Swedish under training. A third buyer with the same
    # Swedish need is found only through that use.
    english = replace(
        VIROTEA,
        description="Immersive headsets for empathy training in elderly care.",
        cpv_codes=("72000000",),
    )
    other = need(
        "n-x",
        "arvika",
        "Vårdpersonal ska förstå demens",
        "Personalen behöver uppleva hur det är att leva med demens.",
        cpv_codes=("80500000",),
    )
    assert find_scaling_opportunities(english, "karlstad", [other]) == []
    found = find_scaling_opportunities(english, "karlstad", [other], adopted_for=ADOPTED_FOR)
    assert [o.buyer_org for o in found] == ["arvika"]
    profile = usage_profile(english, ADOPTED_FOR)
    assert "80500000" in profile.cpv_codes
    assert profile.solution_id == english.solution_id
