"""One person's learning record: enrolments, quiz attempts, checkpoint sign-offs and policy acceptances."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import aliased, selectinload

from app.accounts.models import User
from app.extensions import db
from app.learning.models import Course, Enrollment, Lesson, PathEnrollment


@dataclass(frozen=True)
class SignoffLine:
    """A checkpoint sign-off with the names it is read with."""

    lesson_title: str
    course_title: str
    course_id: int
    signer_name: str
    observed_on: object
    signed_at: datetime


@dataclass(frozen=True)
class LearningRecord:
    enrollments: list[Enrollment]
    path_enrollments: list[PathEnrollment]
    attempts: list  # Attempt, newest first
    signoffs: list[SignoffLine]
    acknowledgements: list  # Acknowledgement, newest first


def learning_record(person: User) -> LearningRecord:
    """Load everything *person* has learned or signed, in a fixed number of queries whatever its size."""
    from app.assessments.models import Attempt, AttemptStatus, CheckpointSignoff
    from app.policies.models import Acknowledgement, PolicyVersion

    enrollments = list(
        db.session.scalars(
            select(Enrollment)
            .where(Enrollment.user_id == person.id)
            .options(selectinload(Enrollment.course))
            .order_by(
                Enrollment.withdrawn_at.is_not(None), Enrollment.enrolled_at.desc(), Enrollment.id.desc()
            )
        )
    )
    path_enrollments = list(
        db.session.scalars(
            select(PathEnrollment)
            .where(PathEnrollment.user_id == person.id)
            .options(selectinload(PathEnrollment.path))
            .order_by(PathEnrollment.enrolled_at.desc(), PathEnrollment.id.desc())
        )
    )
    attempts = list(
        db.session.scalars(
            select(Attempt)
            .where(Attempt.user_id == person.id, Attempt.status == AttemptStatus.submitted.value)
            .options(selectinload(Attempt.quiz))
            .order_by(Attempt.submitted_at.desc(), Attempt.id.desc())
        )
    )
    signer = aliased(User)
    signoffs = [
        SignoffLine(
            lesson_title=lesson_title,
            course_title=course_title,
            course_id=course_id,
            signer_name=signer_name,
            observed_on=signoff.observed_on,
            signed_at=signoff.signed_at,
        )
        for signoff, lesson_title, course_title, course_id, signer_name in db.session.execute(
            select(CheckpointSignoff, Lesson.title, Course.title, Course.id, signer.full_name)
            .join(Lesson, Lesson.id == CheckpointSignoff.lesson_id)
            .join(Course, Course.id == Lesson.course_id)
            .join(signer, signer.id == CheckpointSignoff.signed_by_id)
            .where(CheckpointSignoff.user_id == person.id)
            .order_by(CheckpointSignoff.signed_at.desc(), CheckpointSignoff.id.desc())
        )
    ]
    acknowledgements = list(
        db.session.scalars(
            select(Acknowledgement)
            .where(Acknowledgement.user_id == person.id)
            .options(selectinload(Acknowledgement.version).selectinload(PolicyVersion.policy))
            .order_by(Acknowledgement.acknowledged_at.desc(), Acknowledgement.id.desc())
        )
    )
    return LearningRecord(
        enrollments=enrollments,
        path_enrollments=path_enrollments,
        attempts=attempts,
        signoffs=signoffs,
        acknowledgements=acknowledgements,
    )
