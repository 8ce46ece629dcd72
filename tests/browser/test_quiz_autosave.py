"""A one-page quiz in a real browser: answers save as you go, a refused save says so, resuming keeps all."""

from __future__ import annotations

import re
from typing import Any

import pytest

from app.accounts.services import create_user
from app.assessments import services as assessments
from app.learning.services import courses as authoring
from app.learning.services.enrollments import enrol
from app.tenancy import as_tenant
from tests.assessments.conftest import QUESTIONS
from tests.conftest import PASSWORD


@pytest.fixture
def one_page_quiz(app, db, tenant_factory) -> dict[str, Any]:
    tenant = tenant_factory(display_name="Autosave Bistro")
    with as_tenant(tenant):
        create_user("sam@autosave.example", "Sam Saves", password=PASSWORD, role_keys=("learner",))
        learner = create_user(
            "ana@autosave.example", "Ana Answers", password=PASSWORD, role_keys=("learner",)
        )
        bank = assessments.create_bank("Food safety")
        questions = [assessments.add_question(bank, q) for q in QUESTIONS]
        quiz = assessments.create_quiz(
            {"title": "Food Safety quiz", "pass_percent": 80, "layout": "one_page"}
        )
        for question in questions:
            assessments.add_fixed_question(quiz, question)
        course = authoring.create_course({"title": "Food Safety", "self_enroll": True, "listed": True})
        lesson = authoring.add_lesson(
            course, "assessment", "Food Safety quiz", True, {"quiz_id": str(quiz.id)}, {}
        )
        authoring.set_course_status(course, "published")
        enrollment, _new = enrol(learner, course)
        db.session.commit()
        return {"tenant": tenant, "lesson": f"/learn/{enrollment.id}/lessons/{lesson.id}"}


def _answers(tenant: Any, attempt_id: int) -> list[Any]:
    from app.extensions import db

    with as_tenant(tenant):
        db.session.expire_all()
        attempt = assessments.load_attempt(attempt_id)
        assert attempt is not None
        return [item.answer for item in sorted(attempt.items, key=lambda i: i.position)]


def _answer_the_first_five(page: Any) -> None:
    page.locator("input[name=answer-1]").nth(0).check()
    page.wait_for_selector("#saved-1:has-text('Answer saved.')")
    page.locator("input[name=answer-2]").nth(1).check()
    page.wait_for_selector("#saved-2:has-text('Answer saved.')")
    page.locator("input[name=answer-3]").nth(1).check()
    page.wait_for_selector("#saved-3:has-text('Answer saved.')")
    page.fill("#answer-4", "wash hands")
    page.wait_for_selector("#saved-4:has-text('Answer saved.')")
    page.fill("#answer-5", "5")
    page.wait_for_selector("#saved-5:has-text('Answer saved.')")


def test_every_answer_of_a_one_page_quiz_is_saved_and_kept_on_resume(portal_for, one_page_quiz):
    tenant = one_page_quiz["tenant"]
    portal = portal_for(tenant, width=360, height=800)
    page = portal.page
    portal.sign_in("ana@autosave.example")
    portal.go(one_page_quiz["lesson"])
    with page.expect_navigation():
        page.get_by_role("button", name="Start the assessment").click()
    attempt_id = int(re.search(r"/attempts/(\d+)$", page.url).group(1))  # type: ignore[union-attr]
    _answer_the_first_five(page)
    assert not [m for m in portal.console if "targetError" in m], portal.console
    answers = _answers(tenant, attempt_id)
    assert all(answer is not None for answer in answers[:5]), answers
    assert answers[5:] == [None, None]

    # Close the tab; come back later and resume.
    page.close()
    again = page.context.new_page()
    again.goto(portal.base_url + one_page_quiz["lesson"])
    with again.expect_navigation():
        again.get_by_role("button", name="Resume attempt 1").click()
    assert again.url.endswith(f"/attempts/{attempt_id}")
    assert again.locator("input[name=answer-1]").nth(0).is_checked()
    assert again.locator("input[name=answer-2]").nth(1).is_checked()
    assert again.locator("input[name=answer-3]").nth(1).is_checked()
    assert again.input_value("#answer-4") == "wash hands"
    assert again.input_value("#answer-5") == "5"
    for position in range(1, 6):
        assert again.locator(f"#saved-{position}").inner_text() == "Answer saved."


def test_a_save_after_the_session_expired_says_not_saved_and_leads_back_after_sign_in(
    portal_for, one_page_quiz
):
    tenant = one_page_quiz["tenant"]
    portal = portal_for(tenant)
    page = portal.page
    portal.sign_in("ana@autosave.example")
    portal.go(one_page_quiz["lesson"])
    with page.expect_navigation():
        page.get_by_role("button", name="Start the assessment").click()
    attempt_url = page.url
    attempt_id = int(attempt_url.rsplit("/", 1)[1])
    page.fill("#answer-5", "5")
    page.wait_for_selector("#saved-5:has-text('Answer saved.')")

    page.context.clear_cookies()  # the session expires mid-quiz
    page.fill("#answer-5", "7")
    status = page.locator("#saved-5")
    status.filter(has_text="Not saved").wait_for()
    assert status.inner_text().startswith("Not saved: your session has expired.")
    assert "Answer saved." not in status.inner_text()
    assert status.get_attribute("role") == "status"
    assert _answers(tenant, attempt_id)[4] == "5"

    # On the way to the link the field loses focus and saves once more: the same refusal must leave
    # the link in place, or a click pressed on the old link is released on a new one and goes nowhere.
    link = status.get_by_role("link", name="Sign in again")
    link.evaluate("a => { a.dataset.pressed = 'yes'; }")
    page.evaluate(
        "() => { window.answered = new Promise((done) => document.addEventListener("
        "'htmx:afterRequest', (e) => done(e.detail.xhr.status), { once: true })); }"
    )
    page.locator("#answer-5").blur()
    assert page.evaluate("() => window.answered") == 400  # htmx has swapped, or not, by then
    assert link.get_attribute("data-pressed") == "yes", "the link was replaced under the pointer"
    with page.expect_navigation():
        link.click()
    assert "/sign-in" in page.url
    page.fill("#email", "ana@autosave.example")
    page.fill("#password", PASSWORD)
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    assert page.url == attempt_url, "signing in leads back to the quiz"
    assert page.input_value("#answer-5") == "5"
    assert not [m for m in portal.console if "targetError" in m], portal.console


def test_submitting_with_questions_unanswered_asks_first(portal_for, one_page_quiz):
    tenant = one_page_quiz["tenant"]
    portal = portal_for(tenant, width=360, height=800)
    page = portal.page
    portal.sign_in("ana@autosave.example")
    portal.go(one_page_quiz["lesson"])
    with page.expect_navigation():
        page.get_by_role("button", name="Start the assessment").click()
    attempt_id = int(page.url.rsplit("/", 1)[1])
    _answer_the_first_five(page)
    with page.expect_navigation():
        page.get_by_role("button", name="Submit my answers").click()
    main = page.locator("main").inner_text()
    assert "2 questions are unanswered: 6, 7." in main
    assert portal.axe_violations() == []
    assert not portal.scrolls_sideways()
    with page.expect_navigation():
        page.get_by_role("link", name="Go back to the questions").click()
    assert page.url.endswith(f"/attempts/{attempt_id}#question-6")
    with page.expect_navigation():
        page.get_by_role("button", name="Submit my answers").click()
    with page.expect_navigation():
        page.get_by_role("button", name="Submit anyway").click()
    assert page.url.endswith(f"/attempts/{attempt_id}/review")
