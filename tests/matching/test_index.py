"""SolutionIndex and NeedIndex: changes, versions, fingerprints, and ranking that equals
brute force."""

from __future__ import annotations

import random
from dataclasses import replace

import pytest

from matching.domain.model import NeedProfile, SolutionProfile
from matching.domain.need_index import NeedIndex
from matching.domain.scoring import ScoringWeights
from matching.domain.solution_index import SolutionIndex


def _split(text: str) -> list[str]:
    return text.split()


WORDS_SV = _split(
    """
    vård omsorg personal utbildning vårdpersonal hemtjänst planering schema digital
    plattform portal medborgare ärenden snöröjning halka gator skolmåltider matsvinn kök
    energi värme fastigheter sensorer larm tillsyn natt äldre ensamhet ledsagning resa
    upphandling inköp klimat hållbarhet kontroll arbetsvillkor tvätt städning bibliotek
    läkemedel signering skolskjuts elever vårdnadshavare chatt unga
    """
)
COMPOUNDS = _split(
    """
    vårdpersonalsutbildning hemtjänstplanering skolmåltidsplanering snöröjningsrutter
    energiuppföljning nattillsyn medborgarportalen klimatanalys läkemedelssignering
    """
)
WORDS_EN = _split(
    """
    care staff training platform citizens portal snow clearing school meals waste energy
    heating sensors alarms elderly loneliness procurement climate library medication
    chat
    """
)
CPV = (
    "80500000",
    "80530000",
    "85312000",
    "85311100",
    "72000000",
    "48000000",
    "90620000",
    "55524000",
    "71314000",
    "79418000",
    "92511000",
    "60130000",
    "33190000",
)
REGIONS = ("SE", "17", "1780", "1761", "12", "1283", "25", "2580", "01", "0180")
MATURITIES = ("idea", "prototype", "pilot", "market-ready")
PHASES = ("hypothesis", "validation", "co-creation", "procurement", "implementation", "scaling")
TAGS = ("social-enterprise", "gender-equality", "on-site-follow-up", "sustainability")


def _text(rng: random.Random, n: int) -> tuple[str, str]:
    if rng.random() < 0.2:
        return " ".join(rng.choice(WORDS_EN) for _ in range(n)), "en"
    pool = WORDS_SV + COMPOUNDS
    return " ".join(rng.choice(pool) for _ in range(n)), "sv"


def make_solutions(count: int, seed: int = 1) -> list[SolutionProfile]:
    rng = random.Random(seed)
    out = []
    for i in range(count):
        text, lang = _text(rng, rng.randint(5, 25))
        out.append(
            SolutionProfile(
                solution_id=f"s{i:04d}",
                supplier_org=f"sup{i % 17}",
                name=f"Produkt {i}",
                description=text,
                cpv_codes=tuple(rng.sample(CPV, rng.randint(1, 2))),
                regions=tuple(rng.sample(REGIONS, rng.randint(1, 2))),
                maturity=rng.choice(MATURITIES),  # type: ignore[arg-type]
                tags=frozenset(t for t in TAGS if rng.random() < 0.2),
                adoption_count=rng.choice((0, 0, 1, 3, 8, 26)),
                language=lang,
            )
        )
    return out


def make_needs(count: int, seed: int = 2) -> list[NeedProfile]:
    rng = random.Random(seed)
    out = []
    for i in range(count):
        text, lang = _text(rng, rng.randint(4, 15))
        out.append(
            NeedProfile(
                need_id=f"n{i:03d}",
                buyer_org=f"buyer{i % 7}",
                title=text.split()[0],
                problem=text,
                cpv_codes=tuple(rng.sample(CPV, rng.randint(1, 2))),
                municipality_code=rng.choice(("1780", "1761", "1283", "2580", "0180")),
                phase=rng.choice(PHASES),  # type: ignore[arg-type]
                tags=frozenset(t for t in TAGS if rng.random() < 0.25),
                language=lang,
            )
        )
    return out


def sol(sid: str = "s1", version: int = 1, **kw: object) -> SolutionProfile:
    base: dict[str, object] = {
        "solution_id": sid,
        "supplier_org": "sup",
        "name": "ViroteaED",
        "description": "Vårdpersonalsutbildning i VR",
        "cpv_codes": ("80530000",),
        "regions": ("SE",),
        "maturity": "market-ready",
        "version": version,
    }
    base.update(kw)
    return SolutionProfile(**base)  # type: ignore[arg-type]


NEED = NeedProfile(
    need_id="n1",
    buyer_org="karlstad",
    title="Utbildning för vårdpersonal",
    problem="Vi behöver utbildning i bemötande.",
    cpv_codes=("80500000",),
    municipality_code="1780",
    phase="validation",
)


# -- changes and versions -----------------------------------------------------------------


def test_add_update_remove() -> None:
    idx = SolutionIndex()
    assert idx.upsert(sol("s1"))
    assert idx.upsert(sol("s2", description="Snöröjning av gator", cpv_codes=("90620000",)))
    assert idx.size == len(idx) == 2
    assert "s1" in idx
    assert [m.solution_id for m in idx.rank(NEED, threshold=0)] == ["s1"]
    # an update replaces the text: the old terms no longer match
    assert idx.upsert(sol("s1", 2, description="Snöröjning", cpv_codes=("90620000",)))
    assert idx.rank(NEED, threshold=0) == []
    assert idx.version_of("s1") == 2
    assert idx.remove("s2")
    assert not idx.remove("s2")  # idempotent
    assert idx.size == 1
    assert idx.doc_freq("snöröjning") == 1


def test_older_and_equal_versions_are_ignored() -> None:
    idx = SolutionIndex()
    assert idx.upsert(sol("s1", 3))
    fp = idx.fingerprint()
    assert not idx.upsert(sol("s1", 2, description="Snöröjning"))
    assert not idx.upsert(sol("s1", 3, description="Snöröjning"))
    assert idx.fingerprint() == fp
    got = idx.get("s1")
    assert got is not None
    assert got.description == "Vårdpersonalsutbildning i VR"


def test_removal_is_versioned_and_remembered() -> None:
    idx = SolutionIndex()
    idx.upsert(sol("s1", 3))
    assert not idx.remove("s1", version=2)  # older than the version held
    assert "s1" in idx
    assert idx.remove("s1", version=4)
    assert not idx.upsert(sol("s1", 3))  # a stale update after the removal stays out
    assert not idx.upsert(sol("s1", 4))
    assert idx.upsert(sol("s1", 5))  # published again
    assert "s1" in idx


def test_removal_before_creation_is_remembered() -> None:
    idx = SolutionIndex()
    assert not idx.remove("s9", version=2)
    assert not idx.upsert(sol("s9", 1))
    assert idx.upsert(sol("s9", 3))


def test_slots_are_reused_without_leaking_terms() -> None:
    idx = SolutionIndex()
    sols = make_solutions(60)
    for s in sols:
        idx.upsert(s)
    for s in sols[::2]:
        idx.remove(s.solution_id)
    for s in sols[::2]:
        idx.upsert(replace(s, version=2))
    fresh = SolutionIndex()
    for s in sols[1::2]:
        fresh.upsert(s)
    for s in sols[::2]:
        fresh.upsert(replace(s, version=2))
    for n in make_needs(15):
        assert idx.rank(n, k=10, threshold=0) == fresh.rank(n, k=10, threshold=0)


def test_fingerprint_is_order_independent() -> None:
    sols = make_solutions(80)
    a, b = SolutionIndex(), SolutionIndex()
    for s in sols:
        a.upsert(s)
    shuffled = sols[:]
    random.Random(5).shuffle(shuffled)
    for s in shuffled:
        b.upsert(replace(s, version=0) if s.solution_id.endswith("7") else s)
        b.upsert(s)
    assert a.fingerprint() == b.fingerprint()
    a.remove("s0003")
    assert a.fingerprint() != b.fingerprint()
    b.remove("s0003")
    assert a.fingerprint() == b.fingerprint()
    # same contents, same answers, whatever the order
    for n in make_needs(20):
        assert a.rank(n, k=10, threshold=0) == b.rank(n, k=10, threshold=0)


def test_adoption_count_changes_social_proof_only() -> None:
    idx = SolutionIndex()
    idx.upsert(sol("s1"))
    idx.upsert(sol("s2"))
    before = idx.rank(NEED)
    assert [m.solution_id for m in before] == ["s1", "s2"]  # equal scores: ties by id
    assert before[0].score == before[1].score
    assert idx.set_adoption_count("s2", 26)
    assert not idx.set_adoption_count("s2", 26)
    after = idx.rank(NEED)
    assert [m.solution_id for m in after] == ["s2", "s1"]
    r = after[0].reason("social_proof")
    assert r is not None
    assert r.detail == "used by 26 organisations"
    assert idx.version_of("s2") == 1


# -- ranking ------------------------------------------------------------------------------


def test_rank_sorted_thresholded_and_limited() -> None:
    idx = SolutionIndex()
    for s in make_solutions(200):
        idx.upsert(s)
    ranked_at_all = 0
    for n in make_needs(20):
        ranked = idx.rank(n, k=7, threshold=0.4)
        ranked_at_all += bool(ranked)
        assert len(ranked) <= 7
        assert all(m.score >= 0.4 for m in ranked)
        keys = [(-m.score, m.solution_id) for m in ranked]
        assert keys == sorted(keys)
        assert all(m.need_id == n.need_id for m in ranked)
    assert ranked_at_all >= 10  # the checks above ran on real rankings, not empty ones
    full = max((idx.rank(n, k=7, threshold=0.0) for n in make_needs(20)), key=len)
    assert len(full) == 7  # and the limit bites


@pytest.mark.parametrize(
    ("regions", "detail"),
    [
        (("1780",), "region: serves Karlstad"),
        (("17",), "region: serves Värmlands län"),
        (("SE",), "region: serves all of Sweden"),
        (("1761", "12"), "region: does not serve Karlstad"),
    ],
)
def test_region_levels_in_the_index(regions: tuple[str, ...], detail: str) -> None:
    idx = SolutionIndex()
    idx.upsert(sol("s1", regions=regions))
    (m,) = idx.rank(NEED, threshold=0)
    r = m.reason("region")
    assert r is not None
    assert r.detail == detail
    assert idx.rank(NEED, threshold=0) == idx.rank_brute_force(NEED, threshold=0)


def test_withdrawn_need_ranks_nothing() -> None:
    idx = SolutionIndex()
    idx.upsert(sol())
    assert idx.rank(replace(NEED, phase="withdrawn")) == []


def test_candidates_come_from_cpv_and_terms() -> None:
    idx = SolutionIndex()
    idx.upsert(sol("s1"))  # shares CPV group and text
    idx.upsert(sol("s2", description="Snöröjning", cpv_codes=("80000000",)))  # division only
    idx.upsert(sol("s3", description="Utbildning i snöröjning", cpv_codes=("90620000",)))
    idx.upsert(sol("s4", description="Snöröjning", cpv_codes=("90620000",)))  # nothing shared
    assert idx.candidates(NEED) == ["s1", "s2", "s3"]


@pytest.mark.parametrize("threshold", [0.0, 0.3, 0.5])
@pytest.mark.parametrize("probe_min", [256, 2])
def test_rank_equals_brute_force(threshold: float, probe_min: int) -> None:
    idx = SolutionIndex()
    idx.probe_min = probe_min  # 2: the pruning path runs on this small index too
    for s in make_solutions(300):
        idx.upsert(s)
    for n in make_needs(40):
        assert idx.rank(n, k=10, threshold=threshold) == idx.rank_brute_force(
            n, k=10, threshold=threshold
        )


@pytest.mark.parametrize(
    ("dense_bytes", "small"), [(256 * 2**20, False), (0, False), (256 * 2**20, True)]
)
def test_rank_equals_brute_force_with_common_terms(dense_bytes: int, small: bool) -> None:
    # A low cut-off makes many terms "common", so that the pruning and dense-row paths
    # (and, with dense_bytes=0, the posting-scan fallback) all run on a small index;
    # small probes make the one-term-at-a-time pruning run too.
    w = ScoringWeights(common_min_df=10, common_ratio=0.02)
    idx = SolutionIndex(w, dense_bytes=dense_bytes)
    if small:
        idx.probe_min = 4
        idx.maxscore_min = 8
    for s in make_solutions(700, seed=3):
        idx.upsert(s)
    needs = make_needs(30, seed=4)
    assert any(idx.prepare(n).common for n in needs)
    for n in needs:
        for k in (1, 20):
            assert idx.rank(n, k=k, threshold=0.2) == idx.rank_brute_force(n, k=k, threshold=0.2)
    # updates keep dense rows in step
    for s in make_solutions(700, seed=3)[::3]:
        idx.remove(s.solution_id)
    for n in needs[:10]:
        assert idx.rank(n, k=10, threshold=0.2) == idx.rank_brute_force(n, k=10, threshold=0.2)


def test_warm_up_builds_dense_rows_without_changing_results() -> None:
    w = ScoringWeights(common_min_df=10, common_ratio=0.02)
    cold, warm = SolutionIndex(w), SolutionIndex(w)
    for s in make_solutions(400, seed=6):
        cold.upsert(s)
        warm.upsert(s)
    assert warm.warm_up() > 0
    assert warm.stats()["dense_rows"] > 0
    assert warm.warm_up() == 0  # idempotent
    for n in make_needs(15, seed=7):
        assert warm.rank(n, k=10, threshold=0.2) == cold.rank(n, k=10, threshold=0.2)
    assert SolutionIndex(w, dense_bytes=0).warm_up() == 0


def test_explain_one_pair() -> None:
    idx = SolutionIndex()
    idx.upsert(sol("s1"))
    m = idx.explain(NEED, "s1")
    assert m is not None
    assert m.score == idx.rank(NEED)[0].score
    assert idx.explain(NEED, "nope") is None


# -- NeedIndex ----------------------------------------------------------------------------


def test_need_index_ranks_open_needs_for_a_new_solution() -> None:
    needs = NeedIndex()
    needs.upsert(NEED)
    needs.upsert(replace(NEED, need_id="n2", buyer_org="hammarö", is_open=False))
    needs.upsert(replace(NEED, need_id="n3", buyer_org="arvika", phase="withdrawn"))
    needs.upsert(
        replace(NEED, need_id="n4", title="Snöröjning", problem="Gator", cpv_codes=("90620000",))
    )
    assert needs.size == 4
    assert [m.need_id for m in needs.rank_needs_for(sol(), threshold=0)] == ["n1"]
    with_past = needs.rank_needs_for(sol(), threshold=0, include_closed=True)
    assert [m.need_id for m in with_past] == ["n1", "n2"]
    assert needs.candidates_for(sol()) == ["n1", "n2", "n3"]


def test_need_index_versions_and_fingerprint() -> None:
    a, b = NeedIndex(), NeedIndex()
    ns = make_needs(30)
    for n in ns:
        a.upsert(n)
    for n in reversed(ns):
        b.upsert(n)
    assert a.fingerprint() == b.fingerprint()
    assert not a.upsert(replace(ns[0], version=0))
    assert a.upsert(replace(ns[0], version=2, title="Snöröjning"))
    assert a.fingerprint() != b.fingerprint()
    assert a.remove(ns[1].need_id)
    assert not a.remove(ns[1].need_id)
    assert a.size == 29


def test_both_directions_score_a_pair_alike() -> None:
    solutions = SolutionIndex()
    for s in make_solutions(150):
        solutions.upsert(s)
    needs = NeedIndex(solutions=solutions)
    for n in make_needs(30):
        needs.upsert(n)
    checked = 0
    for s in make_solutions(150)[:20]:
        for m in needs.rank_needs_for(s, k=None, threshold=0):
            need = needs.get(m.need_id)
            assert need is not None
            forward = solutions.explain(need, s.solution_id)
            assert forward is not None
            assert forward.score == pytest.approx(m.score)
            assert forward.reasons == m.reasons
            checked += 1
    assert checked > 50


def test_rank_needs_for_equals_brute_force() -> None:
    needs = NeedIndex()
    ns = make_needs(60)
    for n in ns:
        needs.upsert(n)
    for s in make_solutions(30):
        got = needs.rank_needs_for(s, k=None, threshold=0)
        brute = [m for n in ns if (m := needs.explain(n.need_id, s)) is not None]
        brute.sort(key=lambda m: (-m.score, m.need_id))
        assert got == brute


def test_memory_per_solution_is_modest() -> None:
    import tracemalloc

    sols = make_solutions(2000, seed=9)
    tracemalloc.start()
    idx = SolutionIndex()
    for s in sols:
        idx.upsert(s)
    current, _ = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    # Texts here are short; the point is that the per-solution overhead stays in the
    # low kilobytes, so that 100 000 solutions fit well under 1 GiB.
    assert current / len(sols) < 8_000
