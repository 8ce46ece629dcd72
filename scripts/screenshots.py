"""Take screenshots of the main pages of the demo portals: `python scripts/screenshots.py [base-port]`.

Run against a server started by `make run` (demo data loaded). Writes docs/screenshots/*.png.
"""

from __future__ import annotations

import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

PORT = sys.argv[1] if len(sys.argv) > 1 else "5000"
OUT = Path(__file__).resolve().parent.parent / "docs" / "screenshots"
SHOTS = [
    # (file name, tenant, email, path, width, locale)
    ("bistro-sign-in-phone", "bistro", None, "/sign-in", 360, "es"),
    ("bistro-people-phone", "bistro", "admin@bistro.example", "/admin/users", 360, "en-US"),
    ("bistro-branding-desktop", "bistro", "admin@bistro.example", "/admin/branding", 1280, "en-US"),
    ("partners-people-desktop", "partners", "admin@partners.example", "/admin/users", 1280, "en-US"),
    ("partners-org-arabic-phone", "partners", "admin@partners.example", "/admin/groups", 360, "ar"),
    ("acme-user-desktop", "acme", "admin@acme.example", "/admin/users/new", 1280, "de"),
    ("bistro-my-learning-phone", "bistro", "learner@bistro.example", "/", 360, "en-US"),
    ("bistro-catalog-desktop", "bistro", "learner@bistro.example", "/catalog", 1280, "en-US"),
    ("bistro-rules-desktop", "bistro", "admin@bistro.example", "/admin/rules/new", 1280, "en-US"),
]


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium",
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
            ],
        )
        for name, slug, email, path, width, locale in SHOTS:
            context = browser.new_context(
                viewport={"width": width, "height": 900},
                locale=locale,
                extra_http_headers={"Accept-Language": locale},
            )
            page = context.new_page()
            base = f"http://{slug}.localhost:{PORT}"
            if email:
                page.goto(base + "/sign-in")
                page.fill("#email", email)
                page.fill("#password", "atrium-demo")
                page.locator("main form button[type=submit]").click()
                page.wait_for_load_state()
            page.goto(base + path)
            page.screenshot(path=str(OUT / f"{name}.png"), full_page=width > 400)
            context.close()
        browser.close()


if __name__ == "__main__":
    main()
