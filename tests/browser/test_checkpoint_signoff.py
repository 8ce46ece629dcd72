"""A manager signs off a practical checkpoint on a 360 px phone with the keyboard alone."""

from __future__ import annotations

from typing import Any

import pytest

from app.accounts.services import create_org_unit, create_user
from app.learning.services import courses as authoring
from app.learning.services.enrollments import enrol
from app.tenancy import as_tenant
from tests.browser.test_keyboard import _focused, _tab_to
from tests.conftest import PASSWORD


@pytest.fixture
def fryer_team(app, db, tenant_factory) -> dict[str, Any]:
    tenant = tenant_factory(display_name="Bistro", theme="warm")
    with as_tenant(tenant):
        unit = create_org_unit("Downtown", "location")
        db.session.flush()
        create_user(
            "mo@fryer.example", "Mo Manager", password=PASSWORD, role_keys=("manager",), org_unit_id=unit.id
        )
        lee = create_user("lee@fryer.example", "Lee Learner", password=PASSWORD, org_unit_id=unit.id)
        course = authoring.create_course({"title": "Fryer basics", "self_enroll": True, "listed": True})
        checkpoint = authoring.add_lesson(
            course,
            "checkpoint",
            "Fryer safety",
            True,
            {"instructions": "At the fryer.", "items": "Shuts the fryer down\nFilters the oil safely"},
            {},
        )
        authoring.set_course_status(course, "published")
        enrollment, _new = enrol(lee, course)
        db.session.commit()
        return {"tenant": tenant, "enrollment": enrollment.id, "checkpoint": checkpoint.id}


def test_manager_signs_off_a_checkpoint_by_keyboard_alone_on_a_phone(portal_for, fryer_team):
    portal = portal_for(fryer_team["tenant"], width=360)
    page = portal.page
    portal.sign_in("mo@fryer.example")
    portal.go("/team/")
    link = _tab_to(page, lambda f: f["tag"] == "A" and f["text"] == "Sign-offs waiting: 1")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url.endswith(link["href"])
    assert portal.axe_violations() == []
    assert not portal.scrolls_sideways()

    _tab_to(page, lambda f: f["tag"] == "A" and f["text"].startswith("Fryer safety"))
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "Lee Learner" in page.inner_text("main")
    assert portal.axe_violations() == []
    assert not portal.scrolls_sideways()

    first = _tab_to(page, lambda f: f["tag"] == "INPUT" and f["id"] == "items-0")
    assert first
    page.keyboard.press("Space")
    page.keyboard.press("Tab")
    assert _focused(page)["id"] == "items-1"
    page.keyboard.press("Space")
    assert page.is_checked("#items-0") and page.is_checked("#items-1")
    _tab_to(page, lambda f: f["id"] == "note")
    page.keyboard.type("Calm and careful.")
    _tab_to(page, lambda f: f["tag"] == "BUTTON" and f["text"] == "Sign off")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url.endswith("/team/checkpoints/")
    assert "“Fryer safety” signed off for Lee Learner." in page.inner_text("main")
    assert "Nothing is waiting for your sign-off." in page.inner_text("main")
    assert portal.axe_violations() == []


def test_a_refused_sign_off_focuses_the_error_summary(portal_for, fryer_team):
    portal = portal_for(fryer_team["tenant"], width=360)
    page = portal.page
    portal.sign_in("mo@fryer.example")
    portal.go(f"/team/checkpoints/{fryer_team['enrollment']}/{fryer_team['checkpoint']}")
    _tab_to(page, lambda f: f["id"] == "items-0")
    page.keyboard.press("Space")
    _tab_to(page, lambda f: f["tag"] == "BUTTON" and f["text"] == "Sign off")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert _focused(page)["id"] == "error-summary"
    assert "Not ticked: Filters the oil safely." in page.inner_text("#error-summary")
    assert page.is_checked("#items-0") and not page.is_checked("#items-1")
    assert portal.axe_violations() == []
