"""The server grades every question type, with partial credit where it makes sense."""

from __future__ import annotations

import pytest

from app.assessments import services as assessments
from app.errors import ValidationError
from app.tenancy import as_tenant
from tests.assessments.conftest import add_unchecked_revision, right_answers, wrong_answers


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


SHORT = {"type": "short_answer", "prompt": "Type the sound a sheep makes, then say no.", "accepted": ["baa"]}


def _short_answer_attempt(db, tenant_factory, user_factory, quiz_factory, pattern: str):
    tenant = tenant_factory()
    learner = user_factory(tenant)
    quiz = quiz_factory(tenant, questions=[{**SHORT, "pattern": pattern}])
    return tenant, learner, quiz


def test_a_catastrophic_pattern_grades_a_long_answer_at_once_and_correctly(
    db, tenant_factory, user_factory, quiz_factory
):
    tenant, learner, quiz = _short_answer_attempt(db, tenant_factory, user_factory, quiz_factory, "(a+)+b")
    with as_tenant(tenant):
        wrong = assessments.start_attempt(db.session.merge(learner), db.session.merge(quiz))
        # With a backtracking engine this answer takes longer than the age of the universe.
        assessments.submit_attempt(wrong, {"answer-1": ["a" * 499 + "c"]})
        assert wrong.items[0].credit == 0.0
    with as_tenant(tenant):
        right = assessments.start_attempt(db.session.merge(learner), db.session.merge(quiz))
        assessments.submit_attempt(right, {"answer-1": ["A" * 499 + "b"]})
        assert right.items[0].credit == 1.0


def test_patterns_run_in_linear_time_on_very_long_text():
    from app.assessments import grading

    assert grading.pattern_problem("(a+)+b") is None
    compiled = grading.compiled_pattern("(a+)+b")
    assert compiled.fullmatch("a" * 5000 + "c") is None
    assert compiled.fullmatch("a" * 5000 + "b") is not None
    # Stored answers longer than any typed one are never matched against a pattern.
    assert grading.pattern_matches("a+", "a" * 5000) is False


def test_a_pattern_saved_before_it_was_checked_matches_nothing_and_never_breaks_grading(
    db, tenant_factory, user_factory, quiz_factory, caplog
):
    tenant, learner, quiz = _short_answer_attempt(db, tenant_factory, user_factory, quiz_factory, "baa+")
    with as_tenant(tenant):
        quiz = db.session.merge(quiz)
        add_unchecked_revision(db, quiz.sections[0].question, pattern=r"(baa)\1")
        db.session.commit()
        first = assessments.start_attempt(db.session.merge(learner), quiz)
        assessments.submit_attempt(first, {"answer-1": ["baabaa"]})
        assert first.items[0].credit == 0.0
        assert "cannot be graded" in caplog.text
    with as_tenant(tenant):
        second = assessments.start_attempt(db.session.merge(learner), db.session.merge(quiz))
        assessments.submit_attempt(second, {"answer-1": ["Baa"]})
        assert second.items[0].credit == 1.0  # the accepted answers still count


@pytest.mark.parametrize("rank", ["²", "٣", "9" * 5000, "-1", " "])
def test_an_ordering_place_that_is_not_a_plain_number_is_refused_clearly(
    db, tenant_factory, user_factory, quiz_factory, rank
):
    tenant = tenant_factory()
    learner = user_factory(tenant)
    quiz = quiz_factory(tenant)
    with as_tenant(tenant):
        attempt = assessments.start_attempt(db.session.merge(learner), db.session.merge(quiz))
        ordering = next(i for i in attempt.items if i.revision.type == "ordering")
        form = right_answers(attempt)
        first = ordering.revision.data["items"][0]["id"]
        form[f"answer-{ordering.position}-{first}"] = [rank]
        with pytest.raises(ValidationError, match="Give each step a place"):
            assessments.submit_attempt(attempt, form)
        assert attempt.status == "in_progress"
