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


# English user content shown in the Arabic interface: each piece must carry its own direction.
ENGLISH = [
    "Food safety: what temperature?",
    "Keep hot food at 63 °C or above.",
    "Why it matters?",
    "Kitchen quiz (part 1)",
    "Which temperature keeps hot food safe?",
    "63 °C or above",
    "Wet hands",
    "Code of Conduct",
    "Kitchen basics!",
    "Lee Learner-Smith",
]

DIRECTION_OF_TEXT = """(needles) => {
  const out = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const text = node.textContent.trim();
    const needle = needles.find((n) => text.includes(n));
    if (!needle || node.parentElement.closest("title, script, style, [hidden], .visually-hidden")) continue;
    const isolated = node.parentElement.closest("[dir=auto], bdi, option[dir]");
    out.push({
      needle, text: text.slice(0, 60), tag: node.parentElement.tagName,
      isolated: Boolean(isolated && isolated !== document.documentElement),
      direction: getComputedStyle(isolated || node.parentElement).direction,
    });
  }
  return out;
}"""


@pytest.fixture
def english_content_in_arabic(db, tenant_factory, user_factory):
    from app.assessments import services as assessments
    from app.learning.services import courses as authoring
    from app.learning.services.enrollments import enrol, enrol_in_path
    from app.policies.demo import code_of_conduct
    from app.tenancy import as_tenant
    from tests.assessments.conftest import QUESTIONS

    tenant = tenant_factory(theme="warm", enabled_locales=["en", "ar"], default_locale="ar")
    learner = user_factory(tenant, roles=("tenant_admin", "learner"), full_name="Lee Learner-Smith")
    with as_tenant(tenant):
        course = authoring.create_course(
            {
                "title": ENGLISH[0],
                "description": ENGLISH[1],
                "category": "Safety",
                "self_enroll": True,
                "listed": True,
            }
        )
        body = {"body": "Wash your hands, then dry them."}
        authoring.add_lesson(course, "page", ENGLISH[2], True, body, {})
        bank = assessments.create_bank("Kitchen")
        quiz = assessments.create_quiz({"title": ENGLISH[3], "max_attempts": 3})
        for question in (QUESTIONS[0], QUESTIONS[5]):
            assessments.add_fixed_question(quiz, assessments.add_question(bank, question))
        authoring.add_lesson(course, "assessment", ENGLISH[3], True, {"quiz_id": str(quiz.id)}, {})
        authoring.set_course_status(course, "published")
        path = authoring.create_path({"title": ENGLISH[8], "self_enroll": True})
        authoring.set_path_courses(path, [course.id])
        authoring.set_path_status(path, "published")
        enrollment, _new = enrol(learner, course)
        enrol_in_path(learner, path)
        attempt = assessments.start_attempt(
            learner, quiz, enrollment_id=enrollment.id, lesson_id=course.lessons[1].id
        )
        policy = code_of_conduct()
        db.session.commit()
        return {
            "tenant": tenant,
            "email": learner.email,
            "pages": [
                "/",
                "/catalog",
                f"/courses/{course.id}",
                f"/paths/{path.id}",
                f"/learn/{enrollment.id}/lessons/{course.lessons[0].id}",
                f"/attempts/{attempt.id}",
                f"/policies/{policy.id}",
                "/account",
            ],
        }


@pytest.mark.parametrize("width", [1280, 360])
def test_english_user_content_keeps_its_direction_in_the_arabic_interface(
    portal_for, english_content_in_arabic, width
):
    data = english_content_in_arabic
    portal = portal_for(data["tenant"], width=width, locale="ar", axe=False)
    portal.sign_in(data["email"])
    seen = set()
    for path in data["pages"]:
        portal.go(path)
        assert portal.page.get_attribute("html", "dir") == "rtl", path
        found = portal.page.evaluate(DIRECTION_OF_TEXT, ENGLISH)
        wrong = [f for f in found if not f["isolated"] or f["direction"] != "ltr"]
        assert not wrong, (path, wrong)
        seen |= {f["needle"] for f in found}
    assert seen == set(ENGLISH), set(ENGLISH) - seen  # every kind of content was on some page


def test_the_walks_checks_catch_a_wide_page_a_wide_open_menu_and_an_accessibility_violation(
    portal_for, tenant_factory, user_factory
):
    """The checks every walk relies on (tests/browser/conftest.py) fail when they should, on every page."""
    tenant = tenant_factory()
    person = user_factory(tenant)
    portal = portal_for(tenant, width=360)
    portal.sign_in(person.email)
    for path in ("/", "/catalog"):  # the second page has axe-core from the context, not injected again
        portal.go(path)
        assert portal.sideways_problems() == [] and portal.axe_violations() == [], path
        portal.page.evaluate(
            """() => {
              const wide = document.createElement("div");
              wide.style.width = "900px"; wide.style.height = "1px"; wide.id = "wide-in-menu";
              document.getElementById("site-menu").append(wide);
            }"""
        )
        assert [p["id"] for p in portal.sideways_problems()] == ["horizontal-scroll-menu-open"], path
        portal.page.evaluate(
            """() => {
              document.getElementById("wide-in-menu").remove();
              const wide = document.createElement("div");
              wide.style.width = "900px"; wide.style.height = "1px";
              document.querySelector("main").append(wide);
              document.querySelector("main").append(document.createElement("img"));
            }"""
        )
        assert "horizontal-scroll" in [p["id"] for p in portal.sideways_problems()], path
        assert "image-alt" in [v["id"] for v in portal.axe_violations()], path
