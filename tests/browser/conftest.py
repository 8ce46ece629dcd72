"""Real-browser fixtures: the app on a live local server, driven by Debian's Chromium through Playwright."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import PASSWORD, TEST_DOMAIN

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
# WCAG 2.2 A and AA, and axe's best practices (heading order, landmarks, unique names...).
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa", "best-practice"]


def pytest_collection_modifyitems(config: Any, items: list[Any]) -> None:
    missing = [what for what, path in (("chromium", Path(CHROMIUM)), ("axe-core", AXE)) if not path.exists()]
    if not missing:
        return
    reason = f"browser tests need {', '.join(missing)} (make test installs them)"
    for item in items:
        if "tests/browser" in str(item.fspath):
            item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture(scope="session")
def live_server(live_port: int) -> str:
    """The port of the one live test server (tests/concurrency.py), as the suffix of tenant URLs."""
    return str(live_port)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                f"--host-resolver-rules=MAP *.{TEST_DOMAIN} 127.0.0.1, MAP {TEST_DOMAIN} 127.0.0.1",
            ],
        )
        yield chromium
        chromium.close()


# The authenticator app of each person who set up two-step sign-in in a browser test:
# (portal URL, email) -> [key, last time step used].
TWO_STEP_APPS: dict[tuple[str, str], list[Any]] = {}


class Portal:
    """A browser page pointed at one tenant's portal."""

    def __init__(self, page: Any, base_url: str) -> None:
        self.page = page
        self.base_url = base_url
        self.console: list[str] = []
        self.axe_on_every_page = False

    def go(self, path: str) -> Any:
        return self.page.goto(self.base_url + path)

    def sign_in(self, email: str, password: str = PASSWORD) -> None:
        self.go("/sign-in")
        self.page.fill("#email", email)
        self.page.fill("#password", password)
        with self.page.expect_navigation():
            self.page.locator("main form button[type=submit]").click()
        self.pass_two_step(email)
        assert "/sign-in" not in self.page.url, self.page.content()[:2000]

    def pass_two_step(self, email: str) -> None:
        """On a two-step page after the password: set up the app (remembering its key) or enter its code."""
        key = (self.base_url, email)
        if self.page.url.endswith("/sign-in/two-step/set-up"):
            secret = self.page.inner_text("#two-step-secret").replace(" ", "")
            TWO_STEP_APPS[key] = [secret, 0]  # nothing used yet
            self.enter_code(email)
            with self.page.expect_navigation():
                self.page.locator("main a.button-primary").click()  # "I have saved them, continue"
        elif self.page.url.endswith("/sign-in/two-step"):
            self.enter_code(email)

    def enter_code(self, email: str) -> None:
        """Type the code the person's authenticator app shows now (one the portal has not had yet)."""
        import time

        import pyotp

        app_state = TWO_STEP_APPS[(self.base_url, email)]
        step = max(int(time.time()) // 30, app_state[1] + 1)
        while step > int(time.time()) // 30 + 1:  # two codes used within one step: wait for the next
            time.sleep(1)
        app_state[1] = step
        self.page.fill("#code", pyotp.TOTP(app_state[0]).generate_otp(step))
        with self.page.expect_navigation():
            self.page.locator("main form button[type=submit]").click()

    def axe_violations(self) -> list[dict[str, Any]]:
        if not self.page.evaluate("() => typeof window.axe !== 'undefined'"):
            self.page.add_script_tag(path=str(AXE))
            if not self.axe_on_every_page:
                # Every later page of this browser context gets axe-core before its own scripts: sent
                # once instead of again for each page (0.13 s a page, a third of a walk).
                self.page.context.add_init_script(path=str(AXE))
                self.axe_on_every_page = True
        result = self.page.evaluate(
            # resultTypes: only the violations get every node and selector worked out (axe's own speed-up).
            "async (tags) => (await axe.run(document, {runOnly: {type: 'tag', values: tags},"
            " resultTypes: ['violations']})).violations",
            AXE_TAGS,
        )
        return [
            {
                "id": v["id"],
                "impact": v["impact"],
                "help": v["help"],
                "nodes": [n["target"] for n in v["nodes"]][:5],
                "summary": v["nodes"][0]["failureSummary"] if v["nodes"] else "",
            }
            for v in result
        ]

    def scrolls_sideways(self) -> bool:
        return bool(self.page.evaluate("() => document.documentElement.scrollWidth > window.innerWidth + 1"))

    def sideways_problems(self) -> list[dict[str, Any]]:
        """The page is wider than the screen, with the menu closed or (where there is a Menu button) open."""
        widths = self.page.evaluate(SIDEWAYS)
        problems = []
        if widths["closed"]:
            problems.append({"id": "horizontal-scroll", "help": f"the page is {widths['closed']} px wide"})
        if widths["open"]:
            help = f"with the menu open the page is {widths['open']} px wide"
            problems.append({"id": "horizontal-scroll-menu-open", "help": help})
        return problems


# The page's width (when wider than the screen) with the menu closed, and open where there is a visible Menu
# button: measured in one call, as the button opens and closes the menu at once (app/static/js/atrium.js).
SIDEWAYS = """() => {
  const wider = () => {
    const width = document.documentElement.scrollWidth;
    return width > window.innerWidth + 1 ? width : null;
  };
  const found = {closed: wider(), open: null};
  const toggle = document.querySelector("button.menu-toggle");
  if (toggle && toggle.getClientRects().length && getComputedStyle(toggle).visibility !== "hidden") {
    toggle.click();
    found.open = wider();
    toggle.click();
  }
  return found;
}"""


@pytest.fixture
def portal_for(browser: Any, live_server: str) -> Iterator[Any]:
    contexts = []

    def make(
        tenant: Any, *, width: int = 1280, height: int = 900, locale: str = "en-US", axe: bool = True
    ) -> Portal:
        # bypass_csp lets axe-core be injected; the pages themselves still run under their CSP.
        context = browser.new_context(
            viewport={"width": width, "height": height},
            locale=locale,
            bypass_csp=axe,
            extra_http_headers={"Accept-Language": locale},
        )
        contexts.append(context)
        host = TEST_DOMAIN if tenant.is_platform else f"{tenant.slug}.{TEST_DOMAIN}"
        page = context.new_page()
        portal = Portal(page, f"http://{host}:{live_server}")
        page.on("console", lambda message: portal.console.append(message.text))
        return portal

    yield make
    for context in contexts:
        context.close()
