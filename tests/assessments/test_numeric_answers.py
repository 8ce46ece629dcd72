"""Numbers that cannot be compared are refused when typed, and never break grading once stored."""

from __future__ import annotations

import html
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from app.assessments import services as assessments
from app.assessments.models import Attempt, Question, QuestionRevision
from app.assessments.services import submissions
from app.errors import ValidationError
from app.tenancy import as_tenant
from app.tenancy.models import utcnow
from tests.assessments.conftest import add_unchecked_revision
from tests.assessments.test_taking import _attempt, _enrolled, _lesson_url, _start
from tests.conftest import REDIS_URL, csrf_token, unique_slug

DIGITS = "Enter a number with at most 15 digits before and 15 after the decimal point."
NOT_A_NUMBER = "Enter the correct answer as a number."
NUMERIC = {
    "type": "numeric",
    "prompt": "The fridge should be at most how many °C?",
    "answer": "5",
    "tolerance": "0",
}


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("answer", "1e999999999", DIGITS),
        ("answer", "-1e16", DIGITS),
        ("answer", "0.0000000000000001", DIGITS),
        ("answer", "1" * 16, DIGITS),
        ("answer", "nan", NOT_A_NUMBER),
        ("answer", "inf", NOT_A_NUMBER),
        ("answer", "-Infinity", NOT_A_NUMBER),
        ("tolerance", "1e999999999", DIGITS),
        ("tolerance", "NaN", "Enter the tolerance as a number, 0 or more."),
    ],
)
def test_an_author_cannot_save_a_number_grading_cannot_compare(
    db, tenant_factory, user_factory, client_for, field, value, message
):
    tenant = tenant_factory()
    client = client_for(tenant, user_factory(tenant, roles=("author",)))
    with as_tenant(tenant):
        bank = assessments.create_bank("Fridges")
        db.session.commit()
        bank_id = bank.id
    path = f"/admin/quizzes/banks/{bank_id}/questions/new?type=numeric"
    typed = {"prompt": "How cold?", "points": "1", "answer": "5", "tolerance": "0", field: value}
    response = client.post(path, data={**typed, "csrf_token": csrf_token(client, path)})
    assert response.status_code == 422
    assert message in html.unescape(response.get_data(as_text=True))
    assert f'value="{value}"' in response.get_data(as_text=True)
    with as_tenant(tenant):
        assert db.session.scalars(select(QuestionRevision.id)).first() is None


@pytest.mark.parametrize(
    ("typed", "message"), [("1e999999999", DIGITS), ("nan", "Enter a number, such as 63")]
)
def test_a_learner_cannot_save_a_number_grading_cannot_compare(
    db, tenant_factory, user_factory, quiz_factory, typed, message
):
    tenant = tenant_factory()
    learner = user_factory(tenant)
    quiz = quiz_factory(tenant, questions=[NUMERIC])
    with as_tenant(tenant):
        attempt = assessments.start_attempt(db.session.merge(learner), db.session.merge(quiz))
        with pytest.raises(ValidationError, match=message):
            assessments.save_answer(attempt, 1, {"answer-1": [typed]})
        assert attempt.items[0].answer is None


def _expire(db: Any, tenant: Any, attempt_id: int, **stored: Any) -> None:
    """Move the attempt's deadline into the past; store values as an older version let them be saved."""
    with as_tenant(tenant):
        db.session.expire_all()
        attempt = db.session.get(Attempt, attempt_id)
        attempt.started_at, attempt.deadline_at = (
            utcnow() - timedelta(minutes=30),
            utcnow() - timedelta(minutes=25),
        )
        for item in attempt.items:
            if item.revision.type == "numeric":
                if "key" in stored:
                    question = db.session.get(Question, item.question_id)
                    item.revision = add_unchecked_revision(db, question, answer=stored["key"])
                item.answer, item.answered_at = stored.get("answer", "5"), utcnow() - timedelta(minutes=27)
        db.session.commit()


def test_a_number_stored_before_it_was_checked_counts_as_wrong_and_every_page_still_opens(
    db, tenant_factory, user_factory, client_for, gated_course
):
    tenant = tenant_factory()
    learner = user_factory(tenant)
    made = gated_course(tenant, time_limit_minutes=5)
    enrollment_id = _enrolled(db, tenant, learner, made["course"])
    client = client_for(tenant, learner)
    attempt_id = _start(client, enrollment_id, made["test"])
    _expire(db, tenant, attempt_id, key="1e999999999", answer="1e999999999")
    lesson = _lesson_url(enrollment_id, made["test"])
    assert client.get(lesson).status_code == 200
    time_up = client.get(f"/attempts/{attempt_id}")  # a GET writes nothing: the page posts the close
    assert time_up.status_code == 200 and "Time is up" in time_up.get_data(as_text=True)
    token = csrf_token(client, f"/attempts/{attempt_id}")
    closing = client.post(
        f"/attempts/{attempt_id}/submit",
        data={"csrf_token": token, "unanswered": "confirmed", "time_up": "1"},
    )
    assert closing.status_code == 302
    assert client.get(f"/attempts/{attempt_id}/review").status_code == 200
    closed = _attempt(db, tenant, attempt_id)
    assert closed.status == "submitted" and closed.ended_by == "time_expired"
    assert next(i for i in closed.items if i.revision.type == "numeric").credit == 0.0


def _expired_attempt(db, tenant, user_factory, quiz_factory, *, key: str = "5") -> list[int]:
    quiz = quiz_factory(tenant, questions=[NUMERIC], time_limit_minutes=5)
    ids = []
    for _ in range(2):
        learner = user_factory(tenant)
        with as_tenant(tenant):
            attempt = assessments.start_attempt(db.session.merge(learner), db.session.merge(quiz))
            db.session.commit()
            ids.append(attempt.id)
        _expire(db, tenant, ids[-1], key=key)
    return ids


def test_close_expired_carries_on_past_a_failing_tenant_and_attempt_and_says_what_failed(
    app, db, tenant_factory, user_factory, quiz_factory, monkeypatch
):
    broken_data = tenant_factory(slug=unique_slug("a0"))  # sorted first: the others come after it
    failing_attempt = tenant_factory(slug=unique_slug("a1"))
    failing_tenant = tenant_factory(slug=unique_slug("a2"))
    healthy = tenant_factory(slug=unique_slug("zz"))
    bad_key = _expired_attempt(db, broken_data, user_factory, quiz_factory, key="1e999999999")
    one_fails = _expired_attempt(db, failing_attempt, user_factory, quiz_factory)
    _expired_attempt(db, failing_tenant, user_factory, quiz_factory)
    fine = _expired_attempt(db, healthy, user_factory, quiz_factory)

    finalize, close = submissions._finalize, assessments.close_expired_attempts

    def finalize_failing_once(attempt: Any, *args: Any) -> bool:
        if attempt.id == one_fails[0]:
            raise RuntimeError("disk full")
        return finalize(attempt, *args)

    def close_failing_for_one_tenant(*args: Any, **kwargs: Any) -> int:
        from app.tenancy.context import current_tenant_id

        if current_tenant_id() == failing_tenant.id:
            raise RuntimeError("connection lost")
        return close(*args, **kwargs)

    monkeypatch.setattr(submissions, "_finalize", finalize_failing_once)
    monkeypatch.setattr(assessments, "close_expired_attempts", close_failing_for_one_tenant)
    result = app.test_cli_runner().invoke(args=["assessments", "close-expired"])

    assert result.exit_code == 1
    assert f"{broken_data.slug}: 2 closed" in result.output
    assert f"{failing_attempt.slug}: 1 closed" in result.output
    assert f"{failing_attempt.slug}: attempts {one_fails[0]} could not be closed" in result.output
    assert f"{failing_tenant.slug}: failed (RuntimeError: connection lost)" in result.output
    assert f"{healthy.slug}: 2 closed" in result.output

    def statuses(tenant: Any, ids: list[int]) -> list[str]:
        with as_tenant(tenant):
            db.session.expire_all()
            return [db.session.get(Attempt, attempt_id).status for attempt_id in ids]

    assert statuses(broken_data, bad_key) == ["submitted", "submitted"]
    assert statuses(failing_attempt, one_fails) == ["in_progress", "submitted"]
    assert statuses(healthy, fine) == ["submitted", "submitted"]


@pytest.mark.skipif(
    REDIS_URL is not None, reason="inline jobs only: with Redis each tenant's closing is its own RQ job"
)
def test_the_worker_loop_closes_other_tenants_attempts_when_one_tenant_fails(
    db, tenant_factory, user_factory, quiz_factory, monkeypatch, caplog
):
    from workers.nightly import close_expired_attempts_everywhere

    failing = tenant_factory(slug=unique_slug("a0"))  # sorted first: the other comes after it
    healthy = tenant_factory(slug=unique_slug("zz"))
    stuck = _expired_attempt(db, failing, user_factory, quiz_factory)
    fine = _expired_attempt(db, healthy, user_factory, quiz_factory)
    close = assessments.close_expired_attempts

    def close_failing_for_one_tenant(*args: Any, **kwargs: Any) -> int:
        from app.tenancy.context import current_tenant_id

        if current_tenant_id() == failing.id:
            raise RuntimeError("connection lost")
        return close(*args, **kwargs)

    monkeypatch.setattr(assessments, "close_expired_attempts", close_failing_for_one_tenant)
    done = close_expired_attempts_everywhere()  # jobs run inline here, as on a machine without Redis

    assert done >= 1
    assert f"closing expired attempts failed for tenant {failing.id}" in caplog.text
    with as_tenant(healthy):
        assert [db.session.get(Attempt, attempt_id).status for attempt_id in fine] == ["submitted"] * 2
    with as_tenant(failing):
        assert [db.session.get(Attempt, attempt_id).status for attempt_id in stuck] == ["in_progress"] * 2
