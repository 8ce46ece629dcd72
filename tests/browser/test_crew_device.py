"""On a shared tablet, a crew member scans their badge, types their PIN, and the page signs them out when
they walk away: the script returns to /crew at the portal's idle minutes (the server agrees)."""

from __future__ import annotations

from typing import Any

import pytest

from app.accounts.services import create_org_unit, create_user
from app.crew import services as crew
from app.identity import services as identity
from app.tenancy import as_tenant


@pytest.fixture
def crew_portal(app, db, tenant_factory) -> dict[str, Any]:
    tenant = tenant_factory(display_name="Bistro", theme="warm")
    with as_tenant(tenant):
        identity.save_settings(
            default_provider_id=None,
            break_glass_emails=[],
            require_two_step_for_admins=False,
            badge_sign_in=True,
            shared_device_idle_minutes=2,
        )
        kitchen = create_org_unit("Kitchen", "location")
        db.session.flush()
        sam = create_user(None, "Sam Crew", employee_id="E100", org_unit_id=kitchen.id)
        crew.set_pin(sam, "4816", by=None, must_choose=False)
        token = crew.issue_badge(sam, by=None)
        db.session.commit()
    return {"tenant": tenant, "token": token}


def test_badge_scan_pin_and_idle_sign_out_on_a_tablet(portal_for, crew_portal):
    portal = portal_for(crew_portal["tenant"], width=360)
    page = portal.page
    page.clock.install()
    portal.go("/crew")
    # A USB scanner types the QR's address and presses Enter.
    page.fill("#badge", f"{portal.base_url}/crew?badge={crew_portal['token']}")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "Hello, Sam Crew. Enter your PIN." in page.inner_text("main")
    assert page.evaluate("() => document.activeElement.id") == "pin"
    page.keyboard.type("4816")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url.rstrip("/") == portal.base_url
    assert page.get_by_role("region", name="Shared device").is_visible()
    assert [c["expires"] for c in page.context.cookies()] == [-1]  # one cookie, gone when the browser closes
    # Someone taps after a minute: the countdown starts again.
    page.clock.run_for("01:30")
    page.mouse.click(5, 300)
    page.clock.run_for("01:00")
    assert page.url.rstrip("/") == portal.base_url
    with page.expect_navigation():
        page.clock.run_for("01:10")
    assert page.url.endswith("/crew")
    assert "You are signed out." in page.inner_text("main")
    portal.go("/account")
    assert "/sign-in" in page.url
