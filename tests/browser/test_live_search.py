"""People search updates as you type (htmx), is announced to screen readers, and works without JavaScript."""

from __future__ import annotations

from app.accounts.services import create_user
from app.tenancy import as_tenant
from tests.conftest import PASSWORD


def test_search_updates_results_and_announces_the_count(db, tenant_factory, portal_for):
    tenant = tenant_factory()
    with as_tenant(tenant):
        create_user("boss@search.example", "Bea Boss", password=PASSWORD, role_keys=("tenant_admin",))
        create_user("fry@search.example", "Frankie Fryer", password=PASSWORD)
        create_user("grill@search.example", "Gus Griller", password=PASSWORD)
        db.session.commit()
    portal = portal_for(tenant, axe=False)
    portal.sign_in("boss@search.example")
    portal.go("/admin/users")
    page = portal.page
    page.fill("#q", "fryer")
    page.wait_for_function("() => document.getElementById('announcer').textContent.includes('1 person')")
    assert "Frankie Fryer" in page.locator("#user-results").inner_text()
    assert "Gus Griller" not in page.locator("#user-results").inner_text()
    assert "q=fryer" in page.url  # the URL follows, so reload and back work
    assert page.evaluate("() => document.activeElement.id") == "q"  # typing is not interrupted


def test_search_works_as_a_plain_form_without_javascript(db, tenant_factory, browser, live_server):
    tenant = tenant_factory()
    with as_tenant(tenant):
        create_user("boss@nojs.example", "Bea Boss", password=PASSWORD, role_keys=("tenant_admin",))
        create_user("fry@nojs.example", "Frankie Fryer", password=PASSWORD)
        db.session.commit()
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    base = f"http://{tenant.slug}.atrium.test:{live_server}"
    page.goto(base + "/sign-in")
    page.fill("#email", "boss@nojs.example")
    page.fill("#password", PASSWORD)
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    page.goto(base + "/admin/users")
    page.fill("#q", "fryer")
    with page.expect_navigation():
        page.locator("form[role=search] button[type=submit]").click()
    assert "1 person" in page.locator("#result-count").inner_text()
    assert page.locator("nav.main-nav").is_visible()  # the menu is open without JavaScript
    context.close()
