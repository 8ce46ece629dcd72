"""Two-step sign-in in a real browser: every page passes axe-core at 1280 and 360 px, the QR code is an
image with a text alternative, and the way through works by keyboard and form alone."""

from __future__ import annotations

import pytest

from app.tenancy import as_tenant


@pytest.mark.parametrize("width", [1280, 360])
def test_two_step_pages_are_accessible_from_set_up_to_signing_in(
    portal_for, db, tenant_factory, user_factory, width
):
    from app.identity import services as identity

    tenant = tenant_factory(display_name="Harbour Academy")
    person = user_factory(tenant, full_name="Sam Sailor")
    admin = user_factory(tenant, roles=("tenant_admin",), full_name="Ada Admin")
    with as_tenant(tenant):
        identity.save_settings(
            default_provider_id=None,
            break_glass_emails=[],
            require_two_step_for_admins=True,
            badge_sign_in=False,
            shared_device_idle_minutes=3,
        )
        db.session.commit()
    failures: dict[str, list] = {}

    def check(name: str) -> None:
        problems = portal.axe_violations()
        if width <= 360:
            problems += portal.sideways_problems()
        if problems:
            failures[name] = problems

    # A learner sets it up from their Account page.
    portal = portal_for(tenant, width=width)
    portal.sign_in(person.email)
    portal.go("/account")
    check("account, two-step off")
    with portal.page.expect_navigation():
        portal.page.get_by_role("button", name="Set up two-step sign-in").click()
    assert portal.page.url.endswith("/account/two-step/set-up")
    qr = portal.page.get_by_role("img", name="QR code to add Harbour Academy to your authenticator app")
    assert qr.is_visible() and qr.get_attribute("src").startswith("data:image/svg+xml")
    check("set-up page")
    portal.page.fill("#code", "000000")
    with portal.page.expect_navigation():
        portal.page.locator("main form button[type=submit]").click()
    assert portal.page.locator("#error-summary").is_visible()
    check("set-up page with a wrong code")
    secret = portal.page.inner_text("#two-step-secret").replace(" ", "")
    from tests.browser.conftest import TWO_STEP_APPS

    TWO_STEP_APPS[(portal.base_url, person.email)] = [secret, 0]
    portal.enter_code(person.email)
    assert portal.page.locator(".recovery-codes li").count() == 10
    check("recovery codes")
    with portal.page.expect_navigation():
        portal.page.get_by_role("link", name="I have saved them, continue").click()
    assert "You have 10 unused recovery codes." in portal.page.inner_text("main")
    check("account, two-step on")
    portal.go("/account/two-step/turn-off")
    check("turn-off page")

    # Next time, the code after the password.
    again = portal_for(tenant, width=width)
    again.go("/sign-in")
    again.page.fill("#email", person.email)
    again.page.fill("#password", "correct horse battery")
    with again.page.expect_navigation():
        again.page.locator("main form button[type=submit]").click()
    assert again.page.url.endswith("/sign-in/two-step")
    portal = again
    check("code page")
    again.enter_code(person.email)
    assert again.page.url.endswith("/")

    # An admin of a portal that requires it sets it up before anything else opens.
    forced = portal_for(tenant, width=width)
    forced.go("/sign-in")
    forced.page.fill("#email", admin.email)
    forced.page.fill("#password", "correct horse battery")
    with forced.page.expect_navigation():
        forced.page.locator("main form button[type=submit]").click()
    assert forced.page.url.endswith("/sign-in/two-step/set-up")
    portal = forced
    check("forced set-up page")
    forced.pass_two_step(admin.email)
    forced.go("/admin/users")
    assert forced.page.url.endswith("/admin/users")
    assert not failures, failures
