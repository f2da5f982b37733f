"""Browser tests of the contacts page and the development mail view, on a real
notifications service (Kafka + database) sending over SMTP to a real capture server.

Only this module needs them: it starts its own portal against the notifications service
(the pages it visits call no other service), so the other portal tests start nothing more.
Every page visited is screenshotted and checked with axe-core, as the others are.
"""

from __future__ import annotations

import os
import re
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.notifications.support import auth, captured, start_capture, start_notifications
from tests.portal.conftest import Check, sign_in, wait_healthy_sync
from tests.support.infra import ManagedProcess, ServiceHandle, free_port, setting, unique

pytestmark = pytest.mark.infra

VERIFY_LINK = re.compile(r"http://127\.0\.0\.1:\d+/v1/verify\?token=[\w.-]+")


@dataclass
class MailStack:
    notifications: ServiceHandle
    portal: ServiceHandle
    mail_dir: Path

    def contacts(self, org: str) -> list[dict[str, Any]]:
        answer = httpx.get(
            self.notifications.url + "/v1/contacts", headers=auth(org, "buyer"), timeout=10
        )
        assert answer.status_code == 200, answer.text
        items: list[dict[str, Any]] = answer.json()["items"]
        return items

    def wait_for_mail(self, to: str, count: int, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if len([m for m in captured(self.mail_dir) if to in str(m.message["To"])]) >= count:
                return
            time.sleep(0.2)
        raise AssertionError(f"fewer than {count} messages to {to} after {timeout}s")


@pytest.fixture(scope="module")
def mail_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MailStack]:
    tmp = tmp_path_factory.mktemp("portal-mail")
    mail_dir = tmp / "mail"
    capture, smtp_port = start_capture(tmp, mail_dir)
    started: list[ManagedProcess] = [capture]
    try:
        notifications = start_notifications(
            tmp, topic_prefix=unique("portal-mail"), smtp_port=smtp_port, capture_dir=mail_dir
        )
        started.append(notifications.process)
        closed = f"http://127.0.0.1:{free_port()}"
        port = free_port()
        env = dict(os.environ)
        env.update(
            {
                "PORTAL_PORT": str(port),
                "PORTAL_NEEDS_URL": closed,
                "PORTAL_SUPPLIERS_URL": closed,
                "PORTAL_MATCHING_URL": closed,
                "PORTAL_NOTIFICATIONS_URL": notifications.url,
                "MARKETPLACE_ENVIRONMENT": "test",
                "KAFKA_BOOTSTRAP_SERVERS": setting("KAFKA_BOOTSTRAP_SERVERS"),
            }
        )
        process = ManagedProcess(
            "portal", [sys.executable, "-m", "portal"], env, tmp / f"portal-{port}.log"
        )
        portal = ServiceHandle(process.start(), port)
        started.append(portal.process)
        wait_healthy_sync(notifications)
        wait_healthy_sync(portal)
        yield MailStack(notifications, portal, mail_dir)
    finally:
        for running in reversed(started):
            running.stop()


@pytest.fixture
def page_of(browser: Browser, mail_stack: MailStack) -> Iterator[Page]:
    context: BrowserContext = browser.new_context(
        base_url=mail_stack.portal.url,
        bypass_csp=True,  # lets add_script_tag inject axe-core despite the portal's CSP
        locale="sv-SE",
        viewport={"width": 1280, "height": 900},
    )
    context.set_default_timeout(15_000)
    yield context.new_page()
    context.close()


def test_a_buyer_adds_a_contact_whose_link_confirms_it(
    page_of: Page, mail_stack: MailStack, check_page: Check, browser: Browser
) -> None:
    page = page_of
    org = unique("karlstad")
    sign_in(page, org, "buyer", "1780")
    page.get_by_role("navigation", name="Huvudmeny").get_by_role("link", name="Kontakter").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Kontakter som får e-post")
    expect(page.locator("#no-contacts")).to_have_text("Inga kontakter än.")
    expect(page.get_by_label("Tidszon")).to_have_value("Europe/Stockholm")
    check_page(page, "contacts-empty")

    # Refused by the service (past the browser's own checks): said beside the field.
    page.eval_on_selector("form[action='/contacts']", "form => { form.noValidate = true; }")
    page.get_by_label("Namn").fill("Anna Lind")
    page.get_by_label("E-postadress").fill("anna.lind@")
    page.get_by_role("button", name="Lägg till kontakt").click()
    expect(page.locator("#email-error")).to_have_text("anna.lind@ är inte en e-postadress.")
    expect(page.get_by_label("E-postadress")).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_label("Namn")).to_have_value("Anna Lind")
    check_page(page, "contacts-refused")

    address = f"anna.lind@{org}.se"
    page.get_by_label("E-postadress").fill(address)
    page.get_by_label("Språk i e-posten").select_option("sv")
    page.get_by_role("button", name="Lägg till kontakt").click()
    expect(page.get_by_role("status")).to_contain_text("Anna Lind är tillagd.")
    contact = page.locator("section.contact")
    expect(contact).to_have_count(1)
    expect(contact).to_contain_text("Inte bekräftad än")
    expect(contact).to_contain_text(address)
    check_page(page, "contacts")

    # The message, as the capture server took it: in the development mail view.
    mail_stack.wait_for_mail(address, 1)
    page.get_by_role("link", name="Fångad e-post (utveckling)").click()
    row = page.locator("table.mail tbody tr", has_text=address)
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Bekräfta din e-postadress")
    check_page(page, "dev-mail")
    row.get_by_role("link", name="Bekräfta din e-postadress").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Bekräfta din e-postadress")
    expect(page.locator(".mail-headers")).to_contain_text(f"Anna Lind <{address}>")
    expect(page.locator(".mail-text")).to_contain_text("Hej Anna Lind")
    expect(page.locator("iframe.mail-html")).to_have_attribute("sandbox", "")
    html_part = page.frame_locator("iframe.mail-html")
    expect(html_part.get_by_role("link", name="Bekräfta adressen")).to_be_visible()
    check_page(page, "dev-mail-message")
    # Under the page's own policy (this context bypasses none), the message's inline
    # styles apply in the frame; under the portal's usual one they would not.
    strict = browser.new_context(base_url=mail_stack.portal.url)
    try:
        plain = strict.new_page()
        plain.goto(page.url)
        body = plain.frame_locator("iframe.mail-html").locator("body")
        expect(body).to_contain_text("Hej Anna Lind")
        assert body.evaluate("body => getComputedStyle(body).maxWidth") == "640px"
    finally:
        strict.close()

    # Following the link in the text confirms the address.
    link = page.locator(".mail-text a", has_text="/v1/verify?token=")
    assert VERIFY_LINK.fullmatch(link.inner_text() or "")
    link.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Adressen är bekräftad")
    page.goto("/contacts")
    expect(page.locator("section.contact .badge")).to_have_text("Bekräftad")
    expect(page.get_by_role("button", name=re.compile("^Skicka bekräftelsen igen"))).to_have_count(
        0
    )

    # The general choices are saved; a rule for one subscription (from a message's
    # unsubscribe link, here set through the API) is kept as it is.
    [saved] = mail_stack.contacts(org)
    httpx.put(
        f"{mail_stack.notifications.url}/v1/contacts/{saved['id']}/preferences",
        json={"preferences": [{"kind": "alerts", "scope": "sub-1", "cadence": "off"}]},
        headers=auth(org, "buyer"),
        timeout=10,
    ).raise_for_status()
    page.reload()
    expect(page.get_by_label("Matchningar")).to_have_value("daily")  # the default
    expect(page.locator("section.contact")).to_contain_text("Dessutom gäller 1 val")
    page.get_by_label("Matchningar").select_option(label="Veckosammanfattning")
    page.get_by_label("Spridning").select_option(label="Av")
    page.get_by_role("button", name=re.compile("^Spara valen")).click()
    expect(page.get_by_role("status")).to_have_text("Sparat.")
    expect(page.get_by_label("Matchningar")).to_have_value("weekly")
    expect(page.get_by_label("Bevakningar")).to_have_value("immediate")
    preferences = {
        (p["kind"], p["scope"]): p["cadence"] for p in mail_stack.contacts(org)[0]["preferences"]
    }
    assert preferences == {
        ("matches", None): "weekly",
        ("alerts", None): "immediate",
        ("scaling", None): "off",
        ("alerts", "sub-1"): "off",
    }
    check_page(page, "contacts-verified")

    # A second contact: its verification sent again, then removed.
    other = f"per.berg@{org}.se"
    page.get_by_label("Namn").fill("Per Berg")
    page.get_by_label("E-postadress").fill(other)
    page.get_by_label("Språk i e-posten").select_option("en")
    page.get_by_role("button", name="Lägg till kontakt").click()
    per = page.locator("section.contact", has_text=other)
    expect(per).to_contain_text("Engelska")
    mail_stack.wait_for_mail(other, 1)
    per.get_by_role("button", name=re.compile("^Skicka bekräftelsen igen")).click()
    expect(page.get_by_role("status")).to_contain_text("Ett nytt meddelande")
    mail_stack.wait_for_mail(other, 2)
    page.locator("section.contact", has_text=other).get_by_role(
        "button", name=re.compile("^Ta bort kontakten")
    ).click()
    expect(page.get_by_role("status")).to_have_text("Kontakten är borttagen.")
    expect(page.locator("section.contact")).to_have_count(1)
    assert [c["email"] for c in mail_stack.contacts(org)] == [address]

    # In English.
    page.get_by_role("link", name="In English").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Contacts who receive e-mail")
    expect(page.locator("section.contact .badge")).to_have_text("Confirmed")
    expect(page.get_by_label("Matches")).to_have_value("weekly")
