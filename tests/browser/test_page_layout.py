"""Pages fit a phone with the menu open, in every role whose menu differs."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.tenancy.models import Tenant

ROLES = {
    "learner": ("learner",),
    "manager": ("manager", "learner"),
    "author": ("author", "learner"),
    "tenant admin": ("tenant_admin", "learner"),
}


def _fits_with_menu_open(portal) -> dict:
    page = portal.page
    page.click(".menu-toggle")
    assert page.get_attribute(".menu-toggle", "aria-expanded") == "true"
    change = page.locator(".language-switcher button").bounding_box()
    return {
        "scroll_width": page.evaluate("() => document.documentElement.scrollWidth"),
        "change_right": change["x"] + change["width"],
        "change_left": change["x"],
    }


@pytest.mark.parametrize("role", list(ROLES))
@pytest.mark.parametrize("theme,locale", [("warm", "en-US"), ("midnight", "en-US"), ("warm", "ar")])
def test_open_phone_menu_fits_the_screen_with_the_language_button_visible(
    portal_for, tenant_factory, user_factory, role, theme, locale
):
    tenant = tenant_factory(
        display_name="Bistro Bello Crew Training",
        theme=theme,
        enabled_locales=["en", "es", "fr", "de", "pt_BR", "ar"],  # "Português (Brasil)" widens the select
    )
    person = user_factory(tenant, roles=ROLES[role], full_name="Morgan Alexandria Manager-Longname")
    portal = portal_for(tenant, width=360, locale=locale, axe=False)
    portal.sign_in(person.email)
    for path in ("/", "/catalog", "/account"):
        portal.go(path)
        fits = _fits_with_menu_open(portal)
        assert fits["scroll_width"] <= 360, (role, path, fits)
        assert fits["change_left"] >= 0 and fits["change_right"] <= 360, (role, path, fits)


def test_open_phone_menu_fits_the_screen_in_the_platform_console(db, portal_for, user_factory):
    platform = db.session.scalars(select(Tenant).where(Tenant.is_platform.is_(True))).one()
    operator = user_factory(platform, roles=("operator",), full_name="Opal Operator")
    portal = portal_for(platform, width=360, axe=False)
    portal.sign_in(operator.email)
    for path in ("/console/", "/console/library"):
        portal.go(path)
        fits = _fits_with_menu_open(portal)
        assert fits["scroll_width"] <= 360, (path, fits)
        assert fits["change_right"] <= 360, (path, fits)
