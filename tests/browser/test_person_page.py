"""A 200-character unbroken name wraps on a phone: no page about that person scrolls sideways at 360 px."""

from __future__ import annotations

from typing import Any

import pytest

from app.accounts.services import create_org_unit, create_user
from app.learning.services import courses as authoring
from app.learning.services.enrollments import enrol
from app.tenancy import as_tenant
from tests.conftest import PASSWORD

LONG_NAME = "Maximiliana" * 18 + "Xy"  # 200 characters, no space to break at
LONG_EMAIL = "a" * 60 + "@" + "kitchen" * 8 + ".example"
LONG_TITLE = "Sous-chef-de-partie-" * 6


@pytest.fixture
def long_named(app, db, tenant_factory) -> dict[str, Any]:
    tenant = tenant_factory(display_name="Bistro", theme="warm")
    with as_tenant(tenant):
        unit = create_org_unit("Downtown", "location")
        db.session.flush()
        create_user("admin@long.example", "Ada Admin", password=PASSWORD, role_keys=("tenant_admin",))
        create_user(
            "mo@long.example", "Mo Manager", password=PASSWORD, role_keys=("manager",), org_unit_id=unit.id
        )
        person = create_user(
            LONG_EMAIL, LONG_NAME, password=PASSWORD, org_unit_id=unit.id, job_title=LONG_TITLE
        )
        course = authoring.create_course({"title": "Knife" * 30, "self_enroll": True, "listed": True})
        authoring.add_lesson(course, "page", "Grip", True, {"body": "Claw grip."}, {})
        authoring.set_course_status(course, "published")
        enrol(person, course)
        db.session.commit()
        return {"tenant": tenant, "person": person.id}


def test_a_200_character_name_wraps_on_every_page_that_shows_it_at_360_px(portal_for, long_named):
    assert len(LONG_NAME) == 200
    portal = portal_for(long_named["tenant"], width=360)
    portal.sign_in("admin@long.example")
    person = long_named["person"]
    for path in (f"/team/people/{person}", f"/admin/users/{person}", "/admin/users", "/admin/audit"):
        portal.go(path)
        assert LONG_NAME in portal.page.inner_text("main")
        assert not portal.scrolls_sideways(), f"{path} is wider than the phone"
    portal = portal_for(long_named["tenant"], width=360)
    portal.sign_in("mo@long.example")
    portal.go("/team/")
    assert not portal.scrolls_sideways(), "My team is wider than the phone"
    with portal.page.expect_navigation():
        portal.page.get_by_role("link", name=LONG_NAME, exact=True).click()
    assert portal.page.url.endswith(f"/team/people/{long_named['person']}")
    assert not portal.scrolls_sideways(), "the person page is wider than the phone"
    assert portal.axe_violations() == []
