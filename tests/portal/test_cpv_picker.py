"""The CPV code picker in the browser, on the real needs service's reference API.

A buyer finds codes by words and by suggestion, a supplier by digits and sub-codes; both
forms send the chosen codes. Without JavaScript the text field of codes does the same.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Locator, Page, expect

from marketplace_contracts.reference import normalize_cpv
from tests.portal.conftest import Check, NewPage, Stack
from tests.portal.test_portal_pages import nav, pick_cpv
from tests.support.infra import unique

pytestmark = pytest.mark.infra

CLEANING = "90910000"  # Städning / Cleaning services
PROBLEM = (
    "Skolornas lokaler städas för sällan: klassrum, korridorer och toaletter är smutsiga "
    "och eleverna klagar. Vi behöver regelbunden lokalvård och fönsterputsning i skolorna."
)


def option(page: Page, code: str) -> Locator:
    """A result of the picker's search or suggestions."""
    return page.locator(f"#cpv-results [data-cpv-pick='{code}']")


def chip(page: Page, code: str) -> Locator:
    """A chosen code."""
    return page.locator(f".chips [data-cpv-chip='{code}']")


def test_buyer_picks_codes_by_search_and_suggestion(
    new_page: NewPage, check_page: Check, stack: Stack
) -> None:
    buyer = unique("karlstad")
    page = new_page(buyer, "buyer", "1780")
    nav(page, "Nytt behov")
    title = f"Städning av skolor {unique('n')}"
    page.get_by_label("Rubrik").fill(title)
    page.get_by_label(re.compile("^Problem")).fill(PROBLEM)
    page.locator("#municipality_code").select_option("1780")
    # With JavaScript the picker takes the text field's place.
    expect(page.get_by_label("CPV-koder (kommaseparerade)")).to_be_hidden()
    expect(page.locator(".chips-none")).to_have_text("Inga koder valda än.")

    # Search by words, with the keyboard only: type, arrow down into the results, Enter.
    search = page.get_by_label("Sök kod med ord eller siffror")
    search.press_sequentially("städ", delay=50)
    cleaning = option(page, CLEANING)
    expect(cleaning).to_have_text("90910000-9 Städning")
    expect(page.locator(".cpv-count")).to_contain_text("träffar")
    search.press("ArrowDown")
    options = page.locator("#cpv-results [data-cpv-pick]")
    expect(options.first).to_be_focused()
    for _ in range(options.count()):
        if cleaning.evaluate("el => el === document.activeElement"):
            break
        page.keyboard.press("ArrowDown")
    expect(cleaning).to_be_focused()
    page.keyboard.press("Enter")
    expect(chip(page, CLEANING)).to_contain_text("90910000-9 Städning")
    expect(cleaning).to_have_attribute("aria-pressed", "true")
    expect(page.locator(".cpv-status")).to_have_text("90910000-9 Städning har lagts till.")
    expect(page.locator(".chips-none")).to_be_hidden()
    check_page(page, "buyer-cpv-search")

    # Enter in the search field searches; it does not send the form.
    search.fill("skolor")
    search.press("Enter")
    # a code found by "skolor" but not by "städ": the new results are there
    expect(option(page, "39160000")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/needs/new$"))

    # Suggestions for the title and problem typed so far, offered the same way.
    page.get_by_role("button", name="Föreslå koder").click()
    expect(page.locator(".cpv-count")).to_contain_text("förslag")
    suggested = page.locator("#cpv-results [data-cpv-pick]:not([data-cpv-pick='90910000'])")
    expect(suggested.first).to_be_visible()
    picked = str(suggested.first.get_attribute("data-cpv-pick"))
    picked_label = str(suggested.first.get_attribute("data-cpv-label"))
    suggested.first.click()
    expect(chip(page, picked)).to_contain_text(picked_label)
    check_page(page, "buyer-cpv-suggest")

    # A third code, removed again by its chip's button.
    pick_cpv(page, "805", "80500000")
    page.get_by_role("button", name="Ta bort 80500000-9 Utbildningstjänster").click()
    expect(chip(page, "80500000")).to_have_count(0)
    expect(page.locator(".cpv-status")).to_have_text(
        "80500000-9 Utbildningstjänster har tagits bort."
    )
    expect(search).to_be_focused()

    page.get_by_role("button", name="Spara utkast").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    facts = page.locator(".facts")
    expect(facts).to_contain_text("90910000-9 Städning")
    expect(facts).to_contain_text(picked_label)
    check_page(page, "buyer-need-cpv-labels")
    need_id = page.url.rsplit("/", 1)[-1]
    need = stack.call("needs", "GET", f"/v1/needs/{need_id}", stack.token(buyer, "buyer", "1780"))
    assert sorted(normalize_cpv(c) for c in need["cpv_codes"]) == sorted([CLEANING, picked])

    # The labels follow the reader's language.
    page.get_by_role("link", name="In English").click()
    expect(page.locator(".facts")).to_contain_text("90910000-9 Cleaning services")


def test_supplier_picks_codes_by_digits_and_sub_codes_and_regions_from_a_list(
    new_page: NewPage, check_page: Check
) -> None:
    page = new_page(unique("lokalvard-ab"), "supplier")
    nav(page, "Mina lösningar")
    page.get_by_role("link", name="Ny lösning").click()
    page.get_by_label("Namn").fill(f"Skolstäd {unique('s')}")
    page.get_by_label("Beskrivning").fill("Lokalvård i skolor med miljömärkta medel.")
    expect(page.get_by_role("button", name="Föreslå koder")).to_have_count(0)

    # By digits of the code, then down the hierarchy: the sub-codes of a result.
    search = page.get_by_label("Sök kod med ord eller siffror")
    search.fill("9091")
    expect(option(page, CLEANING)).to_be_visible()
    page.get_by_role("button", name="Visa underkoder till 90910000-9 Städning").click()
    expect(page.locator(".cpv-count")).to_contain_text("Underkoder till 90910000-9 Städning")
    expect(page.locator("#cpv-results [data-cpv-pick]").first).to_be_focused()
    offices = "Visa underkoder till 90919000-2 Kontors- och skolstädning"
    page.get_by_role("button", name=re.compile(f"^{offices}")).click()
    school = option(page, "90919300")
    expect(school).to_have_text("90919300-5 Städning av skolor")
    school.press("Enter")
    expect(chip(page, "90919300")).to_be_visible()

    # A long list comes a page at a time; the next page's first code takes the focus.
    search.fill("805")
    expect(page.locator("#cpv-results [data-cpv-pick]")).to_have_count(20)
    page.get_by_role("button", name="Fler träffar").click()
    expect(page.locator("#cpv-results [data-cpv-pick]").nth(20)).to_be_focused()
    expect(page.get_by_role("button", name="Fler träffar")).to_have_count(0)  # 805: 24 codes

    regions = page.get_by_label(re.compile("^Regioner"))
    expect(
        regions.locator("optgroup[label='Landsdelar och riksområden (NUTS)'] option")
    ).to_have_count(11)
    regions.select_option(["SE31", "1780"])
    check_page(page, "supplier-cpv-and-regions")
    page.get_by_role("button", name="Spara").click()
    facts = page.locator(".facts")
    expect(facts).to_contain_text("90919300-5 Städning av skolor")
    expect(facts).to_contain_text(re.compile("Norra Mellansverige|Dalarnas län"))
    expect(facts).to_contain_text("Karlstad")

    # Editing shows the chosen code as a chip and the regions as chosen; saving keeps both.
    page.get_by_role("link", name="Redigera").click()
    expect(chip(page, "90919300")).to_contain_text("Städning av skolor")
    assert page.locator("#regions option:checked").count() >= 2
    page.get_by_role("button", name="Spara").click()
    expect(page.locator(".facts")).to_contain_text("90919300-5 Städning av skolor")
    expect(page.locator(".facts")).to_contain_text("Karlstad")


def test_without_javascript_codes_are_typed(new_page: NewPage) -> None:
    page = new_page(javascript=False)
    from tests.portal.conftest import sign_in

    sign_in(page, unique("hammaro"), "buyer", "1761")
    page.goto("/needs/new")
    expect(page.locator(".cpv-picker")).to_be_hidden()
    title = f"Städning {unique('n')}"
    page.get_by_label("Rubrik").fill(title)
    page.get_by_label(re.compile("^Problem")).fill(PROBLEM)
    page.get_by_label("CPV-koder (kommaseparerade)").fill("90910000, 80500000-9")
    page.locator("#municipality_code").select_option("1761")
    page.get_by_role("button", name="Spara utkast").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    expect(page.locator(".facts")).to_contain_text("90910000-9 Städning")
    expect(page.locator(".facts")).to_contain_text("80500000-9 Utbildningstjänster")
