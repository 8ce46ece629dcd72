"""The server grades every question type, with partial credit where it makes sense."""

from __future__ import annotations

import pytest

from app.assessments import services as assessments
from app.errors import ValidationError
from app.tenancy import as_tenant
from tests.assessments.conftest import right_answers, wrong_answers


def test_right_answers_to_every_type_score_full_marks(db, tenant_factory, user_factory, quiz_factory):
    tenant = tenant_factory()
    learner = user_factory(tenant)
    quiz = quiz_factory(tenant)
    with as_tenant(tenant):
        attempt = assessments.start_attempt(db.session.merge(learner), db.session.merge(quiz))
        assessments.submit_attempt(attempt, right_answers(attempt))
        assert [item.credit for item in attempt.items] == [1.0] * 7
        assert attempt.score_percent == 100.0 and attempt.passed is True


def test_wrong_answers_fail_and_partial_credit_counts(db, tenant_factory, user_factory, quiz_factory):
    tenant = tenant_factory()
    learner = user_factory(tenant)
    quiz = quiz_factory(tenant)
    with as_tenant(tenant):
        attempt = assessments.start_attempt(db.session.merge(learner), db.session.merge(quiz))
        form = wrong_answers(attempt)
        multiple = next(i for i in attempt.items if i.revision.type == "multiple")
        options = multiple.revision.data["options"]
        form[f"answer-{multiple.position}"] = [options[0]["id"]]  # one of two right choices
        assessments.submit_attempt(attempt, form)
        assert multiple.credit == 0.5
        assert attempt.passed is False
        assert attempt.score_percent == pytest.approx(100 * 0.5 / 7, abs=0.1)


def test_an_answer_for_a_question_not_in_the_attempt_is_refused(
    db, tenant_factory, user_factory, quiz_factory
):
    tenant = tenant_factory()
    learner = user_factory(tenant)
    quiz = quiz_factory(tenant)
    with as_tenant(tenant):
        attempt = assessments.start_attempt(db.session.merge(learner), db.session.merge(quiz))
        form = right_answers(attempt)
        form["answer-99"] = ["x"]
        with pytest.raises(ValidationError, match="not part of this attempt"):
            assessments.submit_attempt(attempt, form)
        assert attempt.status == "in_progress"
        assert all(item.answer is None for item in attempt.items)


def test_a_choice_that_was_not_shown_is_refused(db, tenant_factory, user_factory, quiz_factory):
    tenant = tenant_factory()
    learner = user_factory(tenant)
    quiz = quiz_factory(tenant)
    with as_tenant(tenant):
        attempt = assessments.start_attempt(db.session.merge(learner), db.session.merge(quiz))
        with pytest.raises(ValidationError):
            assessments.save_answer(attempt, 1, {"answer-1": ["made-up-option"]})
        assert attempt.items[0].answer is None
