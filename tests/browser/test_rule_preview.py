"""The rule preview with JavaScript: every problem at once in the summary, then a count without a name."""

from __future__ import annotations

from app.accounts.services import create_org_unit, create_user
from app.learning.services import courses as authoring
from app.tenancy import as_tenant
from tests.conftest import PASSWORD


def test_preview_shows_every_problem_in_the_summary_then_counts_without_a_name(
    db, tenant_factory, portal_for
):
    tenant = tenant_factory(display_name="Rule Bistro")
    with as_tenant(tenant):
        create_user("owner@rules.example", "Rae Rules", password=PASSWORD, role_keys=("tenant_admin",))
        unit = create_org_unit("Downtown", "location")
        db.session.flush()
        for n in range(2):
            create_user(f"cook{n}@rules.example", f"Cook {n}", org_unit_id=unit.id)
        course = authoring.create_course({"title": "Knife skills", "self_enroll": True, "listed": True})
        authoring.add_lesson(course, "page", "Grip", True, {"body": "Hold it so."}, {})
        authoring.set_course_status(course, "published")
        db.session.commit()
    portal = portal_for(tenant, width=360)
    portal.sign_in("owner@rules.example")
    portal.go("/admin/rules/new")
    page = portal.page
    page.select_option("#due_mode", "after_enrolment")
    page.locator("button", has_text="Preview").click()
    page.wait_for_selector("#error-summary")
    summary = page.locator("#error-summary").inner_text()
    assert "Add at least one condition." in summary
    assert "Choose the course or path people are enrolled in." in summary
    assert "Enter the number of days until it is due" in summary
    assert "Give the rule a name." not in summary
    assert page.input_value("#due_mode") == "after_enrolment"  # what was chosen is kept
    # Condition rows swapped in again still show only the control that fits.
    page.select_option("#condition-1-field", "org_unit")
    assert (
        page.locator("#condition-1-unit").is_visible() and not page.locator("#condition-1-value").is_visible()
    )

    page.select_option("#condition-1-unit", str(unit.id))
    page.select_option("#target", f"course:{course.id}")
    page.fill("#due_days", "14")
    page.locator("button", has_text="Preview").click()
    page.wait_for_selector(".preview-result")
    assert "This rule would enrol 2 people now." in page.locator(".preview-result").inner_text()
    assert page.locator("#error-summary").count() == 0
    assert portal.axe_violations() == []
