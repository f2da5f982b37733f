"""The real stack (needs, suppliers, matching, portal) and a real headless Chromium.

Chromium is Debian's (`deploy/local/browser.sh` installs it); axe-core and htmx come from
npm (`deploy/local/portal_assets.sh`). Both are checked loudly: a missing browser is a
failure, not a skip. Screenshots and the accessibility report go to .local/screenshots/.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, sync_playwright

from marketplace_platform.auth import mint_token
from marketplace_platform.settings import DEV_JWT_SECRET
from tests.support.infra import (
    ROOT,
    ManagedProcess,
    ServiceHandle,
    free_port,
    setting,
    start_service,
    unique,
)

CHROMIUM = Path(os.environ.get("PORTAL_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
NODE_MODULES = ROOT / "services" / "portal" / "node_modules"
AXE = NODE_MODULES / "axe-core" / "axe.min.js"
SCREENSHOTS = ROOT / ".local" / "screenshots"
A11Y_REPORT = SCREENSHOTS / "axe-report.json"


def wait_healthy_sync(handle: ServiceHandle, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    last: object = None
    while time.monotonic() < deadline:
        if not handle.process.alive():
            raise RuntimeError(f"{handle.process.name} exited:\n{handle.process.log_tail()}")
        try:
            response = httpx.get(handle.url + "/health", timeout=3)
            last = response.text[:200]
            if response.status_code == 200 and response.json().get("status") == "ok":
                return
        except httpx.HTTPError as exc:
            last = exc
        time.sleep(0.3)
    raise TimeoutError(
        f"{handle.process.name} not healthy after {timeout}s (last: {last})\n"
        f"{handle.process.log_tail()}"
    )


@dataclass
class Stack:
    needs: ServiceHandle
    suppliers: ServiceHandle
    matching: ServiceHandle
    portal: ServiceHandle

    def token(self, org: str, role: str, municipality_code: str | None = None) -> str:
        return mint_token(
            DEV_JWT_SECRET,
            org=org,
            role=role,  # type: ignore[arg-type]
            municipality_code=municipality_code,
        )

    def call(self, service: str, method: str, path: str, token: str, body: Any = None) -> Any:
        base = getattr(self, service).url
        response = httpx.request(
            method,
            base + path,
            json=body,
            headers={"Authorization": f"Bearer {token}"},
            timeout=15,
        )
        assert response.status_code < 400, f"{method} {path}: {response.text}"
        return response.json() if response.content else None


@pytest.fixture(scope="package")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    for required in (AXE, NODE_MODULES / "htmx.org" / "dist" / "htmx.min.js"):
        if not required.exists():
            raise RuntimeError(f"{required} is missing: run deploy/local/portal_assets.sh")
    tmp = tmp_path_factory.mktemp("portal-stack")
    prefix = unique("portal")
    extra = {"SUPPLIERS_WEBHOOKS_ALLOW_LOOPBACK": "true", "MARKETPLACE_OUTBOX_GRACE_S": "0.5"}
    started: list[ServiceHandle] = []
    try:
        needs = start_service("needs", tmp, topic_prefix=prefix, extra_env=extra)
        started.append(needs)
        suppliers = start_service("suppliers", tmp, topic_prefix=prefix, extra_env=extra)
        started.append(suppliers)
        # matching starts once the others created their topics (it reads them from the start)
        wait_healthy_sync(needs)
        wait_healthy_sync(suppliers)
        matching = start_service("matching", tmp, topic_prefix=prefix, extra_env=extra)
        started.append(matching)
        port = free_port()
        env = dict(os.environ)
        env.update(
            {
                "PORTAL_PORT": str(port),
                "PORTAL_NEEDS_URL": needs.url,
                "PORTAL_SUPPLIERS_URL": suppliers.url,
                "PORTAL_MATCHING_URL": matching.url,
                "MARKETPLACE_ENVIRONMENT": "test",
                "KAFKA_BOOTSTRAP_SERVERS": setting("KAFKA_BOOTSTRAP_SERVERS"),
            }
        )
        process = ManagedProcess(
            "portal", [sys.executable, "-m", "portal"], env, tmp / f"portal-{port}.log"
        )
        portal = ServiceHandle(process.start(), port)
        started.append(portal)
        wait_healthy_sync(portal)
        yield Stack(needs, suppliers, matching, portal)
    finally:
        for handle in started:
            handle.process.stop()


@pytest.fixture(scope="package")
def matching_ready(stack: Stack) -> Stack:
    """The flows that need the matching service: they fail (never skip) when it is not up."""
    wait_healthy_sync(stack.matching)
    return stack


# Package scope: Playwright's sync API keeps an event loop running in this thread while it
# lives, which async tests of other packages cannot share; it must end with this package.
@pytest.fixture(scope="package")
def playwright_driver() -> Iterator[Playwright]:
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="package")
def browser(playwright_driver: Playwright) -> Iterator[Browser]:
    if not CHROMIUM.exists():
        raise RuntimeError(f"{CHROMIUM} is missing: run deploy/local/browser.sh")
    launched = playwright_driver.chromium.launch(
        executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
    )
    yield launched
    launched.close()


@pytest.fixture(scope="package")
def a11y_report() -> Iterator[dict[str, Any]]:
    report: dict[str, Any] = {}
    yield report
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    A11Y_REPORT.write_text(json.dumps(report, indent=2, ensure_ascii=False))


Check = Callable[[Page, str], None]


@pytest.fixture
def check_page(a11y_report: dict[str, Any]) -> Check:
    """Screenshot the page and run axe-core (WCAG 2.1 A/AA) on it: no serious or critical."""

    def check(page: Page, name: str) -> None:
        page.wait_for_load_state("load")
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
        page.add_script_tag(path=str(AXE))
        result = page.evaluate(
            """async () => {
                const r = await axe.run(document, {runOnly: {type: 'tag',
                    values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']}});
                return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                    nodes: v.nodes.slice(0, 5).map(n => n.target.join(' '))}));
            }"""
        )
        a11y_report[name] = {"url": page.url, "violations": result}
        bad = [v for v in result if v["impact"] in ("serious", "critical")]
        assert not bad, f"axe found serious/critical violations on {name}: {bad}"

    return check


NewPage = Callable[..., Page]


@pytest.fixture
def new_page(browser: Browser, stack: Stack) -> Iterator[NewPage]:
    contexts: list[BrowserContext] = []

    def open_page(
        org: str | None = None,
        role: str = "buyer",
        municipality: str | None = None,
        *,
        javascript: bool = True,
    ) -> Page:
        context = browser.new_context(
            base_url=stack.portal.url,
            bypass_csp=True,  # lets add_script_tag inject axe-core despite the portal's CSP
            java_script_enabled=javascript,
            locale="sv-SE",
            viewport={"width": 1280, "height": 900},
        )
        context.set_default_timeout(15_000)
        contexts.append(context)
        page = context.new_page()
        if org:
            sign_in(page, org, role, municipality)
        return page

    yield open_page
    for context in contexts:
        context.close()


def sign_in(page: Page, org: str, role: str, municipality: str | None) -> None:
    page.goto("/signin")
    page.get_by_label("Organisation (kortnamn)").fill(org)
    page.locator(f"input[name=role][value={role}]").check()
    if municipality:
        page.locator("#municipality_code").select_option(municipality)
    page.get_by_role("button", name="Logga in").click()
    page.wait_for_url("**/")
    assert org in page.locator(".who").inner_text()
