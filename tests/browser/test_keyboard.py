"""Keyboard only: sign in and reach every main navigation item, at desktop width and on a 360 px phone."""

from __future__ import annotations

import re

import pytest

from app.accounts.services import create_user
from app.tenancy import as_tenant
from tests.conftest import PASSWORD


def _focused(page) -> dict:
    return page.evaluate(
        "() => { const e = document.activeElement; return {id: e.id, tag: e.tagName, "
        "text: (e.innerText || e.value || '').trim(), href: e.getAttribute('href')}; }"
    )


def _tab_to(page, predicate, limit: int = 60) -> dict:
    for _ in range(limit):
        page.keyboard.press("Tab")
        focused = _focused(page)
        if predicate(focused):
            return focused
    raise AssertionError("the keyboard never reached the element")


@pytest.fixture
def keyboard_tenant(app, db, tenant_factory):
    tenant = tenant_factory(display_name="Keyboard Kitchen", theme="warm", enabled_locales=["en", "es", "ar"])
    with as_tenant(tenant):
        create_user(
            "kim@keyboard.example", "Kim Keys", password=PASSWORD, role_keys=("tenant_admin", "learner")
        )
        db.session.commit()
    return tenant


@pytest.mark.parametrize("width", [1280, 360])
def test_sign_in_and_every_main_navigation_item_by_keyboard_alone(portal_for, keyboard_tenant, width):
    portal = portal_for(keyboard_tenant, width=width, axe=False)
    page = portal.page
    portal.go("/sign-in")

    # The first Tab reaches the skip link, which moves focus to the main content.
    page.keyboard.press("Tab")
    assert _focused(page)["href"] == "#main"
    page.keyboard.press("Enter")
    assert _focused(page)["id"] == "main"

    _tab_to(page, lambda f: f["id"] == "email")
    page.keyboard.type("kim@keyboard.example")
    page.keyboard.press("Tab")
    assert _focused(page)["id"] == "password"
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(
        re.compile(re.escape(portal.base_url) + r"/(#main)?$")
    )  # the fragment survives redirects

    labels = page.eval_on_selector_all(".main-nav a", "links => links.map(a => a.textContent.trim())")
    assert labels == ["My learning", "Catalog", "My certifications", "My team", "Admin"]
    for label in labels:
        _open_menu_and_follow(page, width, ".main-nav", label)
        current = page.locator(".main-nav a[aria-current]")
        assert current.count() == 1 and current.inner_text().strip() == label
    # The admin area's own section navigation: folded on a phone, a side column on a desktop.
    sections = page.eval_on_selector_all("#admin-nav nav a", "links => links.map(a => a.textContent.trim())")
    assert {"People", "Organisation", "Groups", "Roles", "Branding", "Audit log"} <= set(sections)
    for label in ("Groups", "Branding", "Audit log"):
        page.evaluate("() => document.activeElement && document.activeElement.blur()")
        page.evaluate("() => window.scrollTo(0, 0)")
        if width <= 360:
            assert page.get_attribute("#admin-nav", "open") is None
            summary = _tab_to(page, lambda f: f["tag"] == "SUMMARY")
            assert summary
            page.keyboard.press("Enter")
        target = _tab_to(page, lambda f, label=label: f["tag"] == "A" and f["text"] == label)
        with page.expect_navigation():
            page.keyboard.press("Enter")
        assert page.url.split("#")[0].endswith(target["href"]), (label, page.url)
        assert page.locator("#admin-nav a[aria-current=page]").text_content().strip() == label
        assert page.locator(".main-nav a[aria-current]").inner_text().strip() == "Admin"
        assert not portal.scrolls_sideways(), label
    assert not [m for m in portal.console if "Content Security Policy" in m], portal.console


def _open_menu_and_follow(page, width, where, label):
    page.keyboard.press("Home")  # not a navigation key here; focus stays put
    page.evaluate("() => document.activeElement && document.activeElement.blur()")
    page.evaluate("() => window.scrollTo(0, 0)")
    if width <= 360:
        toggle = _tab_to(page, lambda f: f["tag"] == "BUTTON" and f["text"] == "Menu")
        assert toggle
        assert page.get_attribute(".menu-toggle", "aria-expanded") == "false"
        page.keyboard.press("Enter")
        assert page.get_attribute(".menu-toggle", "aria-expanded") == "true"
    target = _tab_to(page, lambda f: f["tag"] == "A" and f["text"] == label and f["href"] != "#main")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url.split("#")[0].endswith(target["href"]), (label, page.url)
    assert page.locator("h1").count() == 1


def test_language_switcher_works_by_keyboard_and_mirrors_for_arabic(portal_for, keyboard_tenant):
    portal = portal_for(keyboard_tenant, width=360, axe=False)
    page = portal.page
    portal.go("/sign-in")
    assert page.get_attribute("html", "dir") == "ltr"
    _tab_to(page, lambda f: f["tag"] == "BUTTON" and f["text"] == "Menu")
    page.keyboard.press("Enter")
    _tab_to(page, lambda f: f["id"] == "language-select")
    page.select_option("#language-select", "ar")  # a keyboard user picks with the arrow keys
    page.keyboard.press("Tab")
    assert _focused(page)["tag"] == "BUTTON"
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.get_attribute("html", "lang") == "ar"
    assert page.get_attribute("html", "dir") == "rtl"
    # Mirrored: the brand sits on the right of the header in a right-to-left page.
    brand = page.locator(".brand").bounding_box()
    assert brand["x"] + brand["width"] > 360 / 2
