"""Parallel requests on one attempt: started once, submitted once, and nobody sees an error page."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import func, select

from app.assessments.models import Attempt
from app.audit.models import AuditEvent
from app.events import OutboxEvent
from app.tenancy import as_tenant
from tests.assessments.conftest import right_answers
from tests.assessments.test_taking import _attempt, _enrolled, _lesson_url
from tests.concurrency import LiveClient, in_parallel

# SQLite serialises writers (and may answer "database is locked" under load): the races are PostgreSQL's.
pytestmark = pytest.mark.postgres

PARALLEL = 10


def _learner_on_the_quiz(db, tenant_factory, user_factory, gated_course, live_port):
    tenant = tenant_factory()
    email = f"{uuid.uuid4().hex[:8]}@example.com"
    learner = user_factory(tenant, email)
    made = gated_course(tenant)
    enrollment_id = _enrolled(db, tenant, learner, made["course"])
    client = LiveClient(live_port, tenant)
    client.sign_in(email)
    return tenant, made, enrollment_id, client


def test_ten_parallel_starts_make_one_attempt_and_all_land_on_it(
    db, tenant_factory, user_factory, gated_course, live_port
):
    tenant, made, enrollment_id, client = _learner_on_the_quiz(
        db, tenant_factory, user_factory, gated_course, live_port
    )
    lesson = _lesson_url(enrollment_id, made["test"])
    token = client.csrf_token(lesson)
    client.post(f"{lesson}/visit", {"csrf_token": token})  # as the page does once loaded (GET writes nothing)
    responses = in_parallel(PARALLEL, lambda _: client.post(f"{lesson}/attempts", {"csrf_token": token}))
    assert [r.status for r in responses] == [302] * PARALLEL, [(r.status, r.text[:300]) for r in responses]
    with as_tenant(tenant):
        attempts = list(db.session.scalars(select(Attempt).where(Attempt.quiz_id == made["quiz"])))
        started = db.session.scalar(
            select(func.count(AuditEvent.id)).where(AuditEvent.action == "assessment.started")
        )
    assert len(attempts) == 1 and started == 1
    assert {r.location for r in responses} == {f"/attempts/{attempts[0].id}"}


def test_ten_parallel_submits_grade_once_and_all_see_the_result(
    db, tenant_factory, user_factory, gated_course, live_port
):
    tenant, made, enrollment_id, client = _learner_on_the_quiz(
        db, tenant_factory, user_factory, gated_course, live_port
    )
    lesson = _lesson_url(enrollment_id, made["test"])
    started = client.post(f"{lesson}/attempts", {"csrf_token": client.csrf_token(lesson)})
    attempt_id = int(started.location.rsplit("/", 1)[1])
    form = {
        **right_answers(_attempt(db, tenant, attempt_id)),
        "unanswered": "confirmed",
        "csrf_token": client.csrf_token(f"/attempts/{attempt_id}"),
    }
    responses = in_parallel(PARALLEL, lambda _: client.post(f"/attempts/{attempt_id}/submit", form))
    assert [r.status for r in responses] == [302] * PARALLEL, [(r.status, r.text[:300]) for r in responses]
    assert {r.location for r in responses} == {f"/attempts/{attempt_id}/review"}
    with as_tenant(tenant):
        audited = db.session.scalar(
            select(func.count(AuditEvent.id)).where(
                AuditEvent.action == "assessment.submitted", AuditEvent.target_id == str(attempt_id)
            )
        )
        events = [
            event.type
            for event in db.session.scalars(select(OutboxEvent).where(OutboxEvent.type.like("assessment.%")))
            if event.payload.get("attempt_id") == attempt_id
        ]
    assert audited == 1
    assert sorted(events) == ["assessment.passed", "assessment.submitted"]
    graded = _attempt(db, tenant, attempt_id)
    # The requests that lost the race changed nothing: every answer dates from before the submission.
    assert all(item.answered_at <= graded.submitted_at for item in graded.items)
    assert graded.score_percent == 100.0
    review = client.get(f"/attempts/{attempt_id}/review")
    assert review.status == 200 and "100" in review.text
