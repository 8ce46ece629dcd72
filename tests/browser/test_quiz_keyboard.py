"""Take a quiz with the keyboard alone, on a phone and a desktop, with axe finding nothing to fix."""

from __future__ import annotations

import re
from typing import Any

import pytest

from app.accounts.services import create_user
from app.assessments import grading
from app.assessments import services as assessments
from app.learning.services import courses as authoring
from app.learning.services.enrollments import enrol
from app.tenancy import as_tenant
from tests.assessments.conftest import QUESTIONS
from tests.conftest import PASSWORD


@pytest.fixture
def quiz_course(app, db, tenant_factory) -> dict[str, Any]:
    tenant = tenant_factory(display_name="Quiz Kitchen", theme="warm")
    with as_tenant(tenant):
        learner = create_user("kai@quiz.example", "Kai Keys", password=PASSWORD, role_keys=("learner",))
        bank = assessments.create_bank("Kitchen")
        questions = [assessments.add_question(bank, q) for q in QUESTIONS]
        quiz = assessments.create_quiz(
            {"title": "Kitchen quiz", "pass_percent": 80, "time_limit_minutes": 15}
        )
        for question in questions:
            assessments.add_fixed_question(quiz, question)
        course = authoring.create_course({"title": "Kitchen basics", "self_enroll": True, "listed": True})
        lesson = authoring.add_lesson(
            course, "assessment", "Kitchen quiz", True, {"quiz_id": str(quiz.id)}, {}
        )
        authoring.add_lesson(course, "page", "After the quiz", True, {"body": "Well done."}, {})
        authoring.set_course_status(course, "published")
        enrollment, _new = enrol(learner, course)
        db.session.commit()
        return {"tenant": tenant, "url": f"/learn/{enrollment.id}/lessons/{lesson.id}", "quiz": quiz.id}


def _focused(page: Any) -> dict[str, Any]:
    return page.evaluate(
        "() => { const e = document.activeElement; return {id: e.id, name: e.name || '',"
        " value: e.value || '', tag: e.tagName, text: (e.innerText || '').trim()}; }"
    )


def _tab_until(page: Any, predicate: Any, limit: int = 80) -> dict[str, Any]:
    for _ in range(limit):
        page.keyboard.press("Tab")
        focused = _focused(page)
        if predicate(focused):
            return focused
    raise AssertionError("the keyboard never reached the control")


def _arrow_until(page: Any, value: str, limit: int = 12) -> None:
    for _ in range(limit):
        if _focused(page)["value"] == value:
            return
        page.keyboard.press("ArrowDown")
    assert _focused(page)["value"] == value


def _answer_everything_by_keyboard(page: Any, attempt: Any) -> None:
    for item in attempt.items:
        data, name = item.revision.data, f"answer-{item.position}"
        kind = item.revision.type
        if kind in ("single", "true_false"):
            target = next(o["id"] for o in data["options"] if o["correct"])
            _tab_until(page, lambda f, n=name: f["name"] == n)
            page.keyboard.press("Space")  # the first radio, then arrows move the choice
            _arrow_until(page, target)
        elif kind == "multiple":
            wanted = {o["id"] for o in data["options"] if o["correct"]}
            for option_id in [i for i in item.display_order if i in wanted]:
                _tab_until(page, lambda f, n=name, v=option_id: f["name"] == n and f["value"] == v)
                page.keyboard.press("Space")
        elif kind == "short_answer":
            _tab_until(page, lambda f, n=name: f["id"] == n)
            page.keyboard.type("wash hands")
        elif kind == "numeric":
            _tab_until(page, lambda f, n=name: f["id"] == n)
            page.keyboard.type("5")
        elif kind == "ordering":
            ranks = {entry["id"]: rank for rank, entry in enumerate(data["items"], start=1)}
            for item_id in item.display_order:
                _tab_until(page, lambda f, i=f"{name}-{item_id}": f["id"] == i)
                _arrow_until(page, str(ranks[item_id]))
        elif kind == "matching":
            _rights, lefts = grading.matching_orders(item.revision, item.display_order)
            for index, left_id in enumerate(lefts):
                _tab_until(page, lambda f, i=f"{name}-m{index}": f["id"] == i)
                _arrow_until(page, left_id)


@pytest.mark.parametrize("width", [360, 1280])
def test_take_a_quiz_by_keyboard_alone(portal_for, quiz_course, db, width):
    portal = portal_for(quiz_course["tenant"], width=width)
    page = portal.page
    portal.sign_in("kai@quiz.example")
    portal.go(quiz_course["url"])
    assert portal.axe_violations() == []

    _tab_until(page, lambda f: f["text"] == "Start the assessment")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert re.search(r"/attempts/\d+$", page.url)
    assert page.locator("#quiz-timer").is_visible()
    assert page.locator("fieldset.question legend").count() == len(QUESTIONS)
    assert portal.axe_violations() == []
    assert not portal.scrolls_sideways()

    attempt_id = int(page.url.rsplit("/", 1)[1])
    with as_tenant(quiz_course["tenant"]):
        attempt = assessments.load_attempt(attempt_id)
        for item in attempt.items:
            _ = item.revision.data
    _answer_everything_by_keyboard(page, attempt)
    page.wait_for_selector("#saved-1:has-text('Answer saved.')")
    # Autosave kept focus where the person was.
    assert _focused(page)["id"].startswith(f"answer-{len(QUESTIONS)}-")

    _tab_until(page, lambda f: f["text"] == "Submit my answers")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url.endswith(f"/attempts/{attempt_id}/review")
    assert "Passed" in page.locator("main").inner_text()
    assert "You scored 100%" in page.locator("main").inner_text()
    assert portal.axe_violations() == []
    assert not portal.scrolls_sideways()
    assert not [m for m in portal.console if "Content Security Policy" in m]
