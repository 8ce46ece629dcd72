"""Library packages carry quizzes: frozen at publishing, rebuilt as each tenant's own bank and quiz."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from app.assessments import services as assessments
from app.assessments.models import Question, Quiz
from app.errors import ValidationError
from app.learning.services.enrollments import enrol
from app.library import services
from app.tenancy import as_tenant
from tests.assessments.conftest import QUESTIONS, right_answers
from tests.conftest import csrf_token, unique_slug
from tests.library.conftest import PAGE, draft_fields


def _platform_quiz(db: Any, platform: Any, title: str) -> int:
    with as_tenant(platform):
        bank = assessments.create_bank(f"{title} bank")
        quiz = assessments.create_quiz({"title": title, "pass_percent": 70, "max_attempts": 2})
        for question in QUESTIONS[:3]:
            assessments.add_fixed_question(quiz, assessments.add_question(bank, question))
        pool = assessments.create_bank(f"{title} pool")
        for n in range(4):
            assessments.add_question(pool, {**QUESTIONS[2], "prompt": f"Pool statement {n}"})
        assessments.add_pool(quiz, pool, 2)
        db.session.commit()
        return quiz.id


def _package_with_quiz(db: Any, quiz_id: int) -> Any:
    package = services.create_package(unique_slug("lib-test"), "Security check", "About security.")
    lesson = {"kind": "assessment", "title": "Security check", "required": True, "quiz_id": str(quiz_id)}
    services.update_draft(package.draft, **draft_fields(package.draft, lessons=[PAGE, lesson]))
    services.publish(package.draft)
    db.session.commit()
    return package


def test_a_library_quiz_reaches_tenants_as_their_own_and_can_be_passed(
    db, platform, tenant_factory, user_factory
):
    title = f"Library quiz {unique_slug()}"
    quiz_id = _platform_quiz(db, platform, title)
    package = _package_with_quiz(db, quiz_id)
    tenant = tenant_factory()
    learner = user_factory(tenant)
    services.deploy(package, tenant)
    db.session.commit()
    with as_tenant(tenant):
        course = services.course_for(services.find_deployment(package))
        lesson = next(item for item in course.lessons if item.kind == "assessment")
        quiz = db.session.get(Quiz, lesson.content["quiz_id"])
        assert quiz is not None and quiz.tenant_id == tenant.id
        assert quiz.pass_percent == 70 and quiz.max_attempts == 2
        assert assessments.question_count(quiz) == 5  # three fixed questions and two drawn from the pool
        enrollment, _new = enrol(db.session.merge(learner), course)
        attempt = assessments.start_attempt(
            db.session.merge(learner), quiz, enrollment_id=enrollment.id, lesson_id=lesson.id
        )
        assessments.submit_attempt(attempt, right_answers(attempt))
        assert attempt.passed
        assert lesson.id in {p.lesson_id for p in enrollment.progress if p.completed_at}


def test_editing_the_platform_quiz_after_publishing_does_not_reach_tenants(db, platform, tenant_factory):
    title = f"Library quiz {unique_slug()}"
    quiz_id = _platform_quiz(db, platform, title)
    package = _package_with_quiz(db, quiz_id)
    with as_tenant(platform):
        quiz = db.session.get(Quiz, quiz_id)
        question = quiz.sections[0].question
        assessments.revise_question(
            question,
            {"type": "true_false", "prompt": "Changed after publishing.", "answer": "true"},
        )
        db.session.commit()
    tenant = tenant_factory()
    services.deploy(package, tenant)
    db.session.commit()
    with as_tenant(tenant):
        prompts = {q.current.prompt for q in db.session.scalars(select(Question))}
        assert QUESTIONS[0]["prompt"] in prompts
        assert "Changed after publishing." not in prompts


def test_an_assessment_lesson_needs_a_quiz_with_questions(db, platform):
    package = services.create_package(unique_slug("lib-test"), "No quiz", "")
    lesson = {"kind": "assessment", "title": "Check", "required": True, "quiz_id": ""}
    with pytest.raises(ValidationError, match="Choose the quiz"):
        services.update_draft(package.draft, **draft_fields(package.draft, lessons=[lesson]))
    with as_tenant(platform):
        empty = assessments.create_quiz({"title": f"Empty {unique_slug()}"})
        db.session.flush()
        empty_id = empty.id
    with pytest.raises(ValidationError, match="has no questions yet"):
        services.update_draft(
            package.draft, **draft_fields(package.draft, lessons=[{**lesson, "quiz_id": str(empty_id)}])
        )


def test_operators_build_library_quizzes_in_the_console(db, platform, user_factory, client_for):
    operator = user_factory(platform, roles=("operator",))
    client = client_for(platform, operator)
    page = client.get("/admin/quizzes")
    assert page.status_code == 200
    assert "Quizzes" in page.get_data(as_text=True)
    assert client.get("/admin/quizzes/banks").status_code == 200


def test_a_tenant_cannot_change_the_quiz_it_received_from_the_library(db, platform, tenant_factory):
    title = f"Library quiz {unique_slug()}"
    package = _package_with_quiz(db, _platform_quiz(db, platform, title))
    tenant = tenant_factory()
    services.deploy(package, tenant)
    db.session.commit()
    with as_tenant(tenant):
        course = services.course_for(services.find_deployment(package))
        quiz = db.session.get(Quiz, course.lessons[1].content["quiz_id"])
        question = quiz.sections[0].question
        with pytest.raises(ValidationError, match="comes from the content library"):
            assessments.update_quiz(quiz, {"title": "Ours now"})
        with pytest.raises(ValidationError, match="comes from the content library"):
            assessments.revise_question(question, {"type": "true_false", "prompt": "Ours?", "answer": "true"})
        assert question.current.number == 1 and quiz.title.startswith("Security check")


def test_removing_or_retiring_parts_of_a_library_quiz_explains_why_not(
    db, platform, tenant_factory, user_factory, client_for
):
    package = _package_with_quiz(db, _platform_quiz(db, platform, f"Library quiz {unique_slug()}"))
    tenant = tenant_factory()
    services.deploy(package, tenant)
    db.session.commit()
    with as_tenant(tenant):
        course = services.course_for(services.find_deployment(package))
        quiz = db.session.get(Quiz, course.lessons[1].content["quiz_id"])
        quiz_id, section_id, question_id = quiz.id, quiz.sections[0].id, quiz.sections[0].question.id
    client = client_for(tenant, user_factory(tenant, roles=("tenant_admin",)))
    token = csrf_token(client, f"/admin/quizzes/{quiz_id}")

    form = {"csrf_token": token}
    removed = client.post(f"/admin/quizzes/{quiz_id}/sections/{section_id}/remove", data=form)
    retired = client.post(f"/admin/quizzes/questions/{question_id}/active?active=0", data=form)

    assert removed.status_code == 302 and retired.status_code == 302
    assert "comes from the content library" in client.get(removed.location).get_data(as_text=True)
    assert "comes from the content library" in client.get(retired.location).get_data(as_text=True)
    db.session.expire_all()
    with as_tenant(tenant):
        assert db.session.get(Question, question_id).active
        assert section_id in {s.id for s in db.session.get(Quiz, quiz_id).sections}
