"""Browser tests of the portal on the real needs and suppliers services (Kafka + database).

Every page visited is screenshotted and checked with axe-core (no serious or critical
WCAG 2.1 A/AA violations).
"""

from __future__ import annotations

import re
import time

import pytest
from playwright.sync_api import Page, expect

from tests.portal.conftest import Check, NewPage, Stack
from tests.support.infra import free_port, unique

pytestmark = pytest.mark.infra

SOLUTION = {
    "name": "Virtuell träning för vårdpersonal",
    "description": "VR-utbildning där vårdpersonal övar bemötande av personer med demens.",
    "cpv_codes": ["80500000-9"],
    "regions": ["SE"],
    "maturity": "market-ready",
    "tags": [],
}


def nav(page: Page, name: str) -> None:
    page.get_by_role("navigation", name="Huvudmeny").get_by_role("link", name=name).click()


def pick_cpv(page: Page, query: str, code: str) -> None:
    """Choose a CPV code in the form's picker: search for it, then press the result."""
    page.get_by_label("Sök kod med ord eller siffror").fill(query)
    page.locator(f"#cpv-results [data-cpv-pick='{code}']").click()
    expect(page.locator(f".chips [data-cpv-chip='{code}']")).to_be_visible()


def publish_solution(stack: Stack, supplier: str, **changes: object) -> dict[str, object]:
    token = stack.token(supplier, "supplier")
    body = {**SOLUTION, **changes}
    solution: dict[str, object] = stack.call("suppliers", "POST", "/v1/solutions", token, body)
    return solution


def test_sign_in_language_and_swedish_order(new_page: NewPage, check_page: Check) -> None:
    page = new_page()
    page.goto("/")
    expect(page.locator("html")).to_have_attribute("lang", "sv")
    check_page(page, "home-anonymous")
    page.goto("/signin")
    # Municipalities in Swedish order: å, ä, ö after z.
    options = page.locator("#municipality_code option").all_inner_texts()[1:]
    assert options[0] == "Ale"
    assert options[-1].startswith("Ö")
    assert options.index("Åre") > options.index("Ystad")
    assert options.index("Ängelholm") > options.index("Åre")
    check_page(page, "signin")
    page.get_by_label("Organisation (kortnamn)").fill("Bad Name!")
    page.get_by_role("button", name="Logga in").click()
    expect(page.get_by_role("alert")).to_contain_text("giltigt organisationsnamn")
    page.get_by_label("Organisation (kortnamn)").fill(unique("karlstad"))
    page.locator("#municipality_code").select_option("1780")
    page.get_by_role("button", name="Logga in").click()
    expect(page.get_by_role("navigation", name="Huvudmeny")).to_contain_text("Mina behov")
    check_page(page, "home-buyer")
    page.get_by_role("link", name="In English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("navigation", name="Main menu")).to_contain_text("My needs")
    page.get_by_role("link", name="På svenska").click()
    expect(page.locator("html")).to_have_attribute("lang", "sv")


def test_supplier_manages_solutions_subscriptions_and_webhooks(
    new_page: NewPage, check_page: Check
) -> None:
    supplier = unique("vr-ab")
    page = new_page(supplier, "supplier")
    nav(page, "Mina lösningar")
    check_page(page, "supplier-solutions-empty")
    page.get_by_role("link", name="Ny lösning").click()
    # Sent empty (past the browser's own checks): each field says what it lacks.
    page.eval_on_selector("main form", "form => { form.noValidate = true; }")
    page.get_by_role("button", name="Spara").click()
    for said in ("Ange lösningens namn.", "Beskriv lösningen.", "Välj minst en CPV-kod."):
        expect(page.locator("main")).to_contain_text(said)
    expect(page.locator("main")).to_contain_text("Välj minst ett område.")
    page.get_by_label("Namn").fill("Digital ledsagning")
    page.get_by_label("Beskrivning").fill("Trygg digital ledsagning för personer som behöver stöd.")
    pick_cpv(page, "853", "85300000")
    page.get_by_label(re.compile("^Regioner")).select_option(["17", "1880"])
    page.get_by_label("Mognad").select_option("pilot")
    page.get_by_label("Jämställd upphandling").check()
    check_page(page, "supplier-solution-new")
    page.get_by_role("button", name="Spara").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Digital ledsagning")
    expect(page.locator(".facts")).to_contain_text("Värmlands län")
    expect(page.locator(".facts")).to_contain_text("Örebro")
    expect(page.locator(".facts")).to_contain_text("85300000-2 Socialvård och tillhörande tjänster")
    expect(page.locator("#adoption-count")).to_have_text("Används av 0 organisationer")
    page.get_by_role("link", name="Redigera").click()
    page.get_by_label("Mognad").select_option("market-ready")
    page.get_by_role("button", name="Spara").click()
    expect(page.locator(".facts")).to_contain_text("Marknadsmogen")
    nav(page, "Mina lösningar")
    expect(page.locator("tbody tr")).to_have_count(1)
    check_page(page, "supplier-solutions")

    nav(page, "Bevakningar")
    check_page(page, "supplier-subscriptions-empty")
    page.get_by_label("CPV-prefix (kommaseparerade)").fill("805")
    page.locator("#sub-region").select_option("17")
    page.get_by_label("Nyckelord (kommaseparerade)").fill("vårdpersonal, VR")
    page.get_by_label("Hypotes").check()
    page.get_by_label("Validering").check()
    page.get_by_role("button", name="Skapa").click()
    row = page.locator("tr.subscription")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Värmlands län")
    expect(row).to_contain_text("Hypotes, Validering")
    check_page(page, "supplier-subscriptions")

    nav(page, "Webhooks")
    page.get_by_label("Adress (URL)").fill(f"http://127.0.0.1:{free_port()}/hook")
    page.get_by_label(re.compile("^Hemlighet")).fill("a-long-random-secret-0123")
    page.get_by_role("button", name="Skapa").click()
    expect(page.locator("section.webhook")).to_have_count(1)
    expect(page.locator("section.webhook")).to_contain_text("Inga leveranser än.")
    check_page(page, "supplier-webhooks")
    nav(page, "Inkorg")
    expect(page.locator("#inbox")).to_have_attribute("data-live", "on")
    check_page(page, "supplier-inbox")


def draft_need(page: Page, title: str, problem: str, cpv: str, municipality: str) -> None:
    nav(page, "Nytt behov")
    page.get_by_label("Rubrik").fill(title)
    page.get_by_label(re.compile("^Problem")).fill(problem)
    pick_cpv(page, cpv[:3], cpv)
    page.locator("#municipality_code").select_option(municipality)


def test_buyer_drafts_publishes_and_moves_a_need(
    new_page: NewPage, check_page: Check, stack: Stack
) -> None:
    buyer, other = unique("karlstad"), unique("hammaro")
    page = new_page(buyer, "buyer", "1780")
    title = f"Träning för vårdpersonal {unique('n')}"
    draft_need(
        page,
        title,
        "Vårdpersonalen saknar ett säkert sätt att öva bemötande av personer med demens.",
        "80500000",
        "1780",
    )
    page.get_by_label("Jämställd upphandling").check()
    check_page(page, "buyer-need-new")
    page.get_by_role("button", name="Spara utkast").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    expect(page.locator("#need-status")).to_have_text("Utkast")
    check_page(page, "buyer-need-draft")
    page.get_by_role("button", name="Publicera").click()
    expect(page.locator("#need-status")).to_have_text("Publicerat")
    expect(page.locator("#need-phase")).to_have_text("Hypotes")
    page.get_by_label("Till fas").select_option("validation")
    page.get_by_label("Motivering").first.fill("Användarna bekräftade problemet")
    page.get_by_role("button", name="Flytta").click()
    expect(page.locator("#need-phase")).to_have_text("Validering")
    timeline = page.locator("#timeline li")
    expect(timeline).to_have_count(3)
    expect(timeline.nth(1)).to_contain_text("Publicerat: Hypotes")
    expect(timeline.nth(1)).not_to_contain_text("drafted")  # the service's marker, not a reason
    expect(timeline.last).to_contain_text("Hypotes → Validering")
    expect(timeline.last).to_contain_text("Användarna bekräftade problemet")
    # Back one phase, with a reason: the timeline keeps it all.
    page.get_by_label("Till fas").select_option("hypothesis")
    page.get_by_label("Motivering").first.fill("Vi behöver förstå målgruppen bättre")
    page.get_by_role("button", name="Flytta").click()
    expect(page.locator("#need-phase")).to_have_text("Hypotes")
    expect(timeline).to_have_count(4)
    check_page(page, "buyer-need-detail")
    need_url = page.url

    # Browse with filters: text, region (county of Karlstad), phase.
    page.goto("/needs?q=vårdpersonal&region=17&phase=hypothesis")
    expect(page.get_by_role("link", name=title)).to_be_visible()
    check_page(page, "needs-browse")
    page.goto("/needs?q=vårdpersonal&region=25")
    expect(page.get_by_role("link", name=title)).to_have_count(0)
    nav(page, "Mina behov")
    expect(page.get_by_role("link", name=title)).to_be_visible()
    check_page(page, "buyer-my-needs")

    # Another buyer co-signs: the demand grows.
    second = new_page(other, "buyer", "1761")
    second.goto(need_url)
    second.get_by_role("button", name="Vi har också detta behov").click()
    expect(second.locator(".facts")).to_contain_text("2 organisationer")
    expect(second.get_by_role("heading", name="Medundertecknare")).to_be_visible()
    expect(second.locator("main")).to_contain_text(f"{other} (Hammarö)")
    check_page(second, "buyer-need-cosigned")

    # Reading works without JavaScript.
    plain = new_page(javascript=False)
    from tests.portal.conftest import sign_in

    sign_in(plain, unique("reader"), "supplier", None)
    plain.goto(need_url)
    expect(plain.get_by_role("heading", level=1)).to_have_text(title)
    expect(plain.locator("#timeline li")).to_have_count(4)
    plain.goto("/needs?phase=hypothesis&q=vårdpersonal")
    expect(plain.get_by_role("link", name=title)).to_be_visible()


def adoption_count(page: Page) -> int:
    return int(page.locator("#adoption-count").get_attribute("data-count") or 0)


def wait_for_count(page: Page, url: str, wanted: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        page.goto(url)
        if adoption_count(page) >= wanted:
            return
        time.sleep(0.5)
    raise AssertionError(f"adoption count did not reach {wanted}: {adoption_count(page)}")


def test_buyers_join_a_solution_and_its_adoption_rises(
    new_page: NewPage, check_page: Check, stack: Stack
) -> None:
    supplier = unique("virotea")
    solution = publish_solution(stack, supplier, name=f"ViroteaED {unique('s')}")
    url = f"/solutions/{solution['id']}"

    first = new_page(unique("karlstad"), "buyer", "1780")
    first.goto(url)
    expect(first.locator("#adoption-count")).to_have_text("Används av 0 organisationer")
    check_page(first, "solution-detail-empty")
    first.get_by_role("button", name="Anslut till lösningen").click()
    expect(first.get_by_role("status")).to_contain_text("ansluten")
    wait_for_count(first, url, 1)
    expect(first.locator("#adoption-count")).to_have_text("Används av 1 organisation")

    second = new_page(unique("helsingborg"), "buyer", "1283")
    second.goto(url)
    second.get_by_role("button", name="Anslut till lösningen").click()
    wait_for_count(second, url, 2)
    expect(second.locator("#adoption-count")).to_have_text("Används av 2 organisationer")
    where = second.locator("#where-it-runs li")
    expect(where).to_have_count(2)
    # Counties in Swedish order: Skåne before Värmland.
    expect(where.first).to_contain_text("Skåne län")
    expect(where.last).to_contain_text("Värmlands län")
    expect(second.locator("svg.chart circle")).to_have_count(2)
    check_page(second, "solution-detail")

    second.goto("/solutions?region=12&q=ViroteaED")
    expect(second.get_by_role("link", name=str(solution["name"]))).to_be_visible()
    check_page(second, "solutions-browse")
