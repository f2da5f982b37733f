"""The CPV vocabulary engine: search (codes, words, children, pages) and suggestions."""

from __future__ import annotations

from collections import Counter

import pytest

from bench.bench_cpv_suggest import baseline, ours, share
from marketplace_contracts.reference.cpv import all_codes, children_of, lookup
from needs.domain.errors import InvalidInput
from needs.domain.text import split_compound
from needs.domain.vocabulary import CodeItem, guess_language, search, suggest
from tests.reference.cpv_suggest_labelled import HELD_OUT, LABELLED, TUNING


def codes(q: str | None = None, **kw: object) -> list[str]:
    return [i.code for i in walk(q, **kw)]


def walk(q: str | None = None, limit: int = 100, **kw: object) -> list[CodeItem]:
    """Every item of a search, page after page."""
    items: list[CodeItem] = []
    cursor = None
    while True:
        page = search(q, limit=limit, cursor=cursor, **kw)  # type: ignore[arg-type]
        items += page.items
        if page.next is None:
            return items
        cursor = page.next


def field_of(exc: pytest.ExceptionInfo[InvalidInput]) -> str | None:
    return exc.value.field


# -- search by code -------------------------------------------------------------------


def test_digits_find_codes_by_prefix_in_code_order() -> None:
    found = codes("805")
    assert found[0] == "80500000"
    assert found == sorted(found)
    assert set(found) == {c.code for c in all_codes() if c.code.startswith("805")}


def test_a_full_code_with_its_check_digit_finds_that_code() -> None:
    [item] = search("80500000-9").items
    assert (item.code, item.full, item.level, item.parent) == (
        "80500000",
        "80500000-9",
        "group",
        "80000000",
    )
    assert item.label == "Utbildningstjänster"
    assert search("80500000-9", lang="en").items[0].label == "Training services"


@pytest.mark.parametrize("q", ["80500000-1", "805-9"])
def test_a_wrong_or_misplaced_check_digit_is_refused(q: str) -> None:
    with pytest.raises(InvalidInput) as exc:
        search(q)
    assert field_of(exc) == "q"


# -- search by words ------------------------------------------------------------------


def test_a_swedish_prefix_finds_words_and_compound_parts() -> None:
    found = codes("städ")
    assert "90910000" in found  # Städning
    assert "90919200" in found  # Kontorsstädning: "städ" inside a compound
    # words starting with the query come before compounds that merely contain it
    assert found.index("90910000") < found.index("90919200")


def test_words_match_case_insensitively_with_swedish_letters_intact() -> None:
    assert "85311100" in codes("ÄLDREOMSORG")  # Äldreomsorg
    assert "90620000" in codes("Snöröjning")
    assert codes("ÖVERSÄTTNING") == codes("översättning")


def test_a_word_finds_longer_compounds_it_begins() -> None:
    assert "80500000" in codes("utbildning")  # Utbildningstjänster
    assert "79624000" in codes("vårdpersonal")  # Förmedling av vårdpersonal
    assert "79621000" in codes("personal")  # Förmedling av kontorspersonal


def test_english_labels_are_searched_whichever_label_language_is_shown() -> None:
    found = walk("snow clearing")
    assert found[0].code == "90620000"
    assert found[0].label == "Snöröjning"  # shown in Swedish, found by its English label
    assert walk("snow clearing", lang="en")[0].label == "Snow-clearing services"


def test_every_word_must_match() -> None:
    found = codes("städning skolor")
    assert "90919300" in found  # Städning av skolor
    assert "90910000" not in found  # Städning alone says nothing of schools


def test_exact_words_rank_before_prefixes() -> None:
    first = walk("städning")[0]
    assert "städning" in first.label.lower().split()


def test_words_that_meet_nothing_find_nothing() -> None:
    assert search("xyzzyplugh").items == ()
    assert search("och").items == ()  # a stopword alone


# -- children and parents -------------------------------------------------------------


def test_without_a_query_the_divisions_are_listed() -> None:
    divisions = codes()
    assert len(divisions) == 45
    assert all(lookup(c) is not None and lookup(c).level == "division" for c in divisions)  # type: ignore[union-attr]


def test_a_parent_without_a_query_lists_its_children_by_code() -> None:
    items = walk(parent="90900000-6")
    assert [i.code for i in items] == [c.code for c in children_of("90900000")]
    assert all(i.parent == "90900000" for i in items)


def test_a_parent_with_a_query_restricts_to_codes_under_it() -> None:
    found = codes("städning", parent="90910000")
    assert found and "90910000" not in found
    assert all(c.startswith("9091") for c in found)
    assert codes("805", parent="90000000") == []


@pytest.mark.parametrize("parent", ["99999999", "9090", "abc"])
def test_an_unknown_or_malformed_parent_is_refused(parent: str) -> None:
    with pytest.raises(InvalidInput) as exc:
        search(parent=parent)
    assert field_of(exc) == "parent"


def test_a_bad_label_language_or_limit_is_refused() -> None:
    with pytest.raises(InvalidInput) as exc:
        search("städ", lang="de")
    assert field_of(exc) == "lang"
    with pytest.raises(InvalidInput) as exc:
        search("städ", limit=0)
    assert field_of(exc) == "limit"


# -- pagination -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("q", "parent"), [("tjänster", None), ("45", None), (None, "31712300"), ("städ", None)]
)
def test_pages_cover_every_hit_exactly_once(q: str | None, parent: str | None) -> None:
    small = codes(q, parent=parent, limit=7)
    large = codes(q, parent=parent, limit=100)
    assert small == large
    assert len(small) == len(set(small)) > 7


def test_the_last_page_has_no_next() -> None:
    assert search("80500000").next is None
    page = search("805", limit=3)
    assert len(page.items) == 3 and page.next is not None


def test_a_tampered_cursor_or_one_of_another_search_is_refused() -> None:
    cursor = search("städ", limit=2).next
    assert cursor is not None
    for bad, q in ((cursor, "tvätt"), (cursor + "x", "städ"), ("not-a-cursor", "städ")):
        with pytest.raises(InvalidInput) as exc:
            search(q, cursor=bad)
        assert field_of(exc) == "cursor"
    with pytest.raises(InvalidInput):
        search("städ", lang="en", cursor=cursor)  # the order depends on the label language


def test_an_empty_cursor_is_the_first_page() -> None:
    assert search("städ", cursor="") == search("städ")


# -- compounds (text.split_compound) --------------------------------------------------


def test_compounds_split_into_known_words_with_linking_letters() -> None:
    known = {"snö", "röjning", "ordning", "vakter", "vård", "personal", "utbildning"}
    assert split_compound("snöröjning", known) == ("snö", "röjning")
    assert split_compound("ordningsvakter", known) == ("ordning", "vakter")
    assert split_compound("vårdpersonalsutbildning", known) == ("vård", "personal", "utbildning")
    assert split_compound("personal", known) == ()  # a known word alone is no compound
    assert split_compound("snöxyz", known) == ()


def test_an_unknown_modifier_needs_a_long_known_rest() -> None:
    known = {"tjänster", "lära"}
    assert split_compound("arkivtjänster", known) == ()
    assert split_compound("arkivtjänster", known, open_modifier=4) == ("arkiv", "tjänster")
    assert split_compound("kardiovaskulära", known, open_modifier=4) == ()


def test_the_head_of_a_compound_may_be_inflected() -> None:
    assert split_compound("ordningsvakter", {"ordning", "vakt"}) == ()
    heads = {"vakt", "vakter"}
    assert split_compound("ordningsvakter", {"ordning", "vakt"}, heads=heads) == (
        "ordning",
        "vakter",
    )


# -- suggest --------------------------------------------------------------------------


def groups(title: str, problem: str, language: str = "sv", top: int = 5) -> list[str]:
    return [s.code[:3] for s in suggest(title, problem, language)[:top]]


@pytest.mark.parametrize(
    ("title", "problem", "language", "group"),
    [
        ("Snöröjning", "Gatorna plogas för sent när det snöar.", "sv", "906"),
        ("Tolkar", "Vi behöver tolkar vid möten med nyanlända.", "sv", "795"),
        ("Revision", "Revisorerna behöver stöd med granskning av bokslutet.", "sv", "792"),
        ("School cleaning", "Classrooms and toilets in our schools are not cleaned.", "en", "909"),
        ("Translation", "Brochures must be translated into Arabic and Somali.", "en", "795"),
        ("Laundry", "Bed linen from our care homes must be washed and returned.", "en", "983"),
    ],
)
def test_clear_texts_get_their_group_among_the_first_three(
    title: str, problem: str, language: str, group: str
) -> None:
    assert group in groups(title, problem, language, top=3)


def test_suggestions_are_ranked_scored_and_explained() -> None:
    found = suggest("Städning av skolor", "Skolornas lokaler städas för sällan.")
    assert found[0].score == 1.0
    assert [s.score for s in found] == sorted((s.score for s in found), reverse=True)
    assert found[0].reason.startswith("matchar ")
    assert '"städning"' in found[0].reason
    english = suggest("School cleaning", "Our classrooms are not clean.", "en", lang="en")
    assert english[0].reason.startswith("matches ")
    assert english[0].label == lookup(english[0].code).label_en  # type: ignore[union-attr]


def test_labels_follow_lang_not_the_texts_language() -> None:
    [first] = suggest("Snöröjning", "Plogning av gator", "sv", limit=1, lang="en")
    assert first.label == "Snow-clearing services"


def test_suggestions_spread_over_groups_and_avoid_divisions() -> None:
    found = suggest("Städning", "Städning av kontor, skolor, förskolor och bostäder", limit=10)
    per_group = Counter(s.code[:3] for s in found)
    assert max(per_group.values()) <= 2
    assert all(s.level != "division" for s in found[:5])


def test_a_text_of_no_known_words_gets_no_suggestions() -> None:
    assert suggest("Xyzzy", "plugh quux") == []


@pytest.mark.parametrize(
    ("title", "problem", "language", "field"),
    [
        ("", "  ", "sv", "title"),
        ("x" * 10_001, "", "sv", "title"),
        ("ok", "x" * 10_001, "sv", "problem"),
        ("ok", "ok", "de", "language"),
    ],
)
def test_bad_text_is_refused_naming_the_field(
    title: str, problem: str, language: str, field: str
) -> None:
    with pytest.raises(InvalidInput) as exc:
        suggest(title, problem, language)
    assert field_of(exc) == field


def test_the_language_of_a_text_is_guessed_from_its_function_words() -> None:
    assert guess_language("We need help with the cleaning of our schools") == "en"
    assert guess_language("Vi behöver hjälp med städningen av våra skolor") == "sv"


# -- quality on the labelled set (bench/bench_cpv_suggest.py) -------------------------


def test_the_labelled_set_is_large_bilingual_and_names_real_codes() -> None:
    assert (len(TUNING), len(HELD_OUT)) == (40, 20)
    languages = Counter(item.language for item in LABELLED)
    assert languages["sv"] == languages["en"] == 30
    unknown = [c for item in LABELLED for c in item.codes if lookup(c) is None]
    assert unknown == []


def test_the_suggester_beats_plain_word_overlap_and_reaches_the_goal() -> None:
    for items in (TUNING, HELD_OUT):
        assert share(items, ours) > share(items, baseline)
    assert share(LABELLED, ours) >= 0.8
