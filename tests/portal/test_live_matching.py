"""The portal's live flows that need the matching service (preview, match, alert).

They run on the real stack with `matching` started like the other services; the
`matching_ready` fixture fails loudly when matching does not become healthy.
"""

from __future__ import annotations

import re
import time

import pytest
from playwright.sync_api import Page, expect

from tests.portal.conftest import Check, NewPage, Stack
from tests.portal.test_portal_pages import pick_cpv, publish_solution
from tests.support.infra import unique

pytestmark = pytest.mark.infra
# Other tests' solutions may match too: one event in the singular, more in the plural.
NEW_EVENTS = re.compile(r"^(1 ny händelse|([2-9]|\d{2,}) nya händelser)$")

PROBLEM = (
    "Vårdpersonalen saknar ett säkert sätt att öva bemötande av personer med demens "
    "innan de möter verkligheten; vi söker träning i VR för vårdpersonal."
)


def wait_for_preview(page: Page, name: str, timeout: float = 45) -> None:
    """Matching indexes the new solution from Kafka; nudge the form until it shows."""
    item = page.locator("#preview .preview-item", has_text=name)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if item.count():
            return
        page.get_by_label("Rubrik").press("End")
        page.get_by_label("Rubrik").type(" ")
        page.wait_for_timeout(1500)
    raise AssertionError(
        f"the preview never listed {name!r}: {page.locator('#preview').inner_text()}"
    )


def test_buyer_sees_the_preview_and_a_match_arrive_live(
    new_page: NewPage, check_page: Check, matching_ready: Stack
) -> None:
    stack = matching_ready
    name = f"ViroteaED VR-träning för vårdpersonal {unique('s')}"
    supplier = unique("virotea")
    publish_solution(stack, supplier, name=name)
    buyer = new_page(unique("karlstad"), "buyer", "1780")
    buyer.goto("/inbox")
    expect(buyer.locator("#inbox")).to_have_attribute("data-live", "on")

    page = buyer.context.new_page()
    page.goto("/needs/new")
    title = f"Träning för vårdpersonal i svåra situationer {unique('n')}"
    page.get_by_label("Rubrik").fill(title)
    page.get_by_label("Problem (beskriv problemet, inte lösningen)").fill(PROBLEM)
    pick_cpv(page, "805", "80500000")
    page.locator("#municipality_code").select_option("1780")
    wait_for_preview(page, name)
    check_page(page, "buyer-need-preview")
    page.get_by_role("button", name="Spara utkast").click()
    page.get_by_role("button", name="Publicera").click()
    expect(page.locator("#need-status")).to_have_text("Publicerat")

    # The open inbox gets the match without a reload (server-sent events).
    entry = buyer.locator("#inbox-list .entry", has_text=name)
    expect(entry).to_be_visible(timeout=45_000)
    # A live entry can be marked read like any other.
    expect(entry.get_by_role("button", name="Markera som läst")).to_be_visible()
    expect(buyer.locator("#inbox-status")).to_have_text(NEW_EVENTS)
    check_page(buyer, "buyer-inbox-live")

    page.reload()
    expect(page.locator("#matches")).to_contain_text(name)
    # The reasons are said in Swedish, not as the service's component names or English.
    expect(page.locator("#matches")).to_contain_text("Samma CPV-")
    expect(page.locator("#matches")).not_to_contain_text("social_proof")
    expect(page.locator("#matches")).not_to_contain_text("no deployments yet")
    check_page(page, "buyer-need-matches")

    # Procured, the buyer records the implemented solution: found by searching, offered
    # first among the matched ones, then named with its supplier.
    for phase in ("validation", "co-creation", "procurement"):
        page.get_by_label("Till fas").select_option(phase)
        page.get_by_role("button", name="Flytta").click()
    expect(page.locator("#need-phase")).to_have_text("Upphandling")
    page.get_by_label("Sök bland lösningarna").fill("ViroteaED")
    page.get_by_role("button", name="Sök", exact=True).click()
    choices = page.locator("#impl-solution optgroup")
    expect(choices.first).to_have_attribute("label", "Matchade lösningar")
    expect(choices.first).to_contain_text(name)
    page.get_by_label("Lösning", exact=True).select_option(label=f"{name} ({supplier})")
    check_page(page, "buyer-need-implementation-picker")
    page.get_by_role("button", name="Registrera implementerad lösning").click()
    expect(page.locator("#implemented")).to_contain_text(f"{name} ({supplier})")
    page.get_by_label("Sök bland lösningarna").fill("finns-inte-någonstans")
    page.get_by_role("button", name="Sök", exact=True).click()
    expect(page.locator("#impl-none")).to_contain_text("Ingen lösning hittades")


def test_supplier_sees_an_alert_arrive_live(
    new_page: NewPage, check_page: Check, matching_ready: Stack
) -> None:
    stack = matching_ready
    supplier = unique("vr-ab")
    token = stack.token(supplier, "supplier")
    stack.call(
        "suppliers",
        "POST",
        "/v1/subscriptions",
        token,
        {"cpv_prefixes": ["805"], "regions": ["17"], "keywords": ["vårdpersonal"]},
    )
    page = new_page(supplier, "supplier")
    page.goto("/inbox")
    expect(page.locator("#inbox")).to_have_attribute("data-live", "on")
    buyer_token = stack.token(unique("karlstad"), "buyer", "1780")
    title = f"Träning för vårdpersonal {unique('n')}"
    need = stack.call(
        "needs",
        "POST",
        "/v1/needs",
        buyer_token,
        {
            "title": title,
            "problem": PROBLEM,
            "cpv_codes": ["80500000"],
            "municipality_code": "1780",
        },
    )
    stack.call("needs", "POST", f"/v1/needs/{need['id']}/publish", buyer_token)
    entry = page.locator("#inbox-list .entry").first
    expect(entry).to_be_visible(timeout=45_000)
    expect(page.locator("#inbox-status")).to_have_text(NEW_EVENTS)
    check_page(page, "supplier-inbox-live")
