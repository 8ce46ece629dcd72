"""Factories: the bistro's Food Handler certification over the gated Food Safety course."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from sqlalchemy import select

from app.accounts.models import User
from app.assessments import checkpoints
from app.assessments import services as assessments
from app.assessments.models import Quiz
from app.certifications.models import CertificationRecord
from app.certifications.services import definitions
from app.events import OutboxEvent
from app.learning.models import Course, Enrollment, Lesson
from app.learning.services import progress
from app.learning.services.enrollments import current_enrollment, enrol
from app.tenancy import as_tenant
from tests.assessments import conftest as assessment_fixtures
from tests.assessments.conftest import right_answers

gated_course = assessment_fixtures.gated_course
quiz_factory = assessment_fixtures.quiz_factory


@pytest.fixture
def food_handler(db: Any, gated_course: Callable[..., Any]) -> Callable[..., dict[str, Any]]:
    """A published Food Handler: the course, its quiz (80 %) and the Fryer checkpoint; 24 months."""

    def make(
        tenant: Any, *, publish: bool = True, visibility: str = "everyone", **fields: Any
    ) -> dict[str, Any]:
        course = gated_course(tenant)
        with as_tenant(tenant):
            cert = definitions.create_certification(
                {
                    "title": "Food Handler",
                    "validity": "months",
                    "validity_months": 24,
                    "renewal_window_days": 60,
                    "grace_days": 0,
                    "reminder_days": "60, 30, 7, 1, 0",
                    **fields,
                },
                visibility=visibility,
            )
            definitions.set_requirements(
                cert,
                "initial",
                [
                    {"kind": "course", "item_id": course["course"]},
                    {"kind": "quiz", "item_id": course["quiz"], "min_score": 80},
                    {"kind": "checkpoint", "item_id": course["checkpoint"]},
                ],
            )
            definitions.set_requirements(cert, "renewal", [{"kind": "course", "item_id": course["course"]}])
            if publish:
                definitions.publish(cert)
            db.session.commit()
            return {**course, "cert": cert.id}

    return make


def learn_and_sign(db: Any, tenant: Any, learner: Any, signer: Any, course: dict[str, Any]) -> None:
    """*learner* reads the pages, passes the quiz, and *signer* signs off the checkpoint: course done."""
    with as_tenant(tenant):
        person = db.session.get(User, learner.id)
        enrollment = current_enrollment(person.id, course["course"])
        if enrollment is None:
            enrollment, _new = enrol(person, db.session.get(Course, course["course"]))
        progress.complete_lesson(enrollment, db.session.get(Lesson, course["intro"]))
        attempt = assessments.start_attempt(
            person,
            db.session.get(Quiz, course["quiz"]),
            enrollment_id=enrollment.id,
            lesson_id=course["test"],
        )
        assessments.submit_attempt(attempt, right_answers(attempt))
        checkpoints.sign_off_checkpoint(
            db.session.get(User, signer.id),
            db.session.get(Enrollment, enrollment.id),
            db.session.get(Lesson, course["checkpoint"]),
            observed_items=checkpoints.checkpoint_items(db.session.get(Lesson, course["checkpoint"])),
            observed_on=date.today(),
            note="",
        )
        progress.complete_lesson(
            db.session.get(Enrollment, enrollment.id), db.session.get(Lesson, course["closing"])
        )
        db.session.commit()


def record_of(db: Any, tenant: Any, cert_id: int, user_id: int) -> CertificationRecord | None:
    """The record as committed now (what the pages wrote), not as this session last loaded it."""
    with as_tenant(tenant):
        return db.session.scalars(
            select(CertificationRecord)
            .where(CertificationRecord.certification_id == cert_id, CertificationRecord.user_id == user_id)
            .execution_options(populate_existing=True)
        ).first()


def emitted(db: Any, tenant: Any, event_type: str) -> list[dict[str, Any]]:
    with as_tenant(tenant):
        return [
            e.payload
            for e in db.session.scalars(
                select(OutboxEvent).where(OutboxEvent.type == event_type).order_by(OutboxEvent.id)
            )
        ]
