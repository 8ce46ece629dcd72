"""The Branding page previews colours live and explains a refused colour."""

from __future__ import annotations

from app.accounts.services import create_user
from app.tenancy import as_tenant
from tests.conftest import PASSWORD


def test_pale_yellow_is_previewed_live_and_refused_with_a_suggestion(db, tenant_factory, portal_for):
    tenant = tenant_factory(display_name="Sunny Side Diner", theme="default")
    with as_tenant(tenant):
        create_user("owner@sunny.example", "Sam Sun", password=PASSWORD, role_keys=("tenant_admin",))
        db.session.commit()
    portal = portal_for(tenant, width=360, axe=False)
    portal.sign_in("owner@sunny.example")
    portal.go("/admin/branding")
    page = portal.page
    page.fill("#primary", "#ffff99")
    page.wait_for_function(
        "() => document.querySelector('#preview-verdicts').textContent.includes('#ffff99')", timeout=10000
    )
    verdicts = page.locator("#preview-verdicts").inner_text()
    assert "too low to read" in verdicts and "The nearest colour that passes is" in verdicts
    page.wait_for_function("() => document.getElementById('announcer').textContent.includes('#ffff99')")
    assert page.evaluate("() => document.activeElement.id") == "primary"  # typing is not interrupted
    with page.expect_navigation():
        page.locator("button", has_text="Save the branding").click()
    assert page.evaluate("() => document.activeElement.id") == "error-summary"
    summary = page.locator("#error-summary").inner_text()
    assert "#ffff99 gives text a contrast of only 1.0:1" in summary
    assert page.input_value("#primary") == "#ffff99"
    assert not [m for m in portal.console if "Content Security Policy" in m], portal.console
