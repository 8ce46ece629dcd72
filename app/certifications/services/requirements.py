"""What counts as done for a requirement: a completed course or path, a passed quiz at the minimum score,
a signed checkpoint, an accepted policy; optionally only what was done since a moment (a renewal)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, select

from app.assessments.models import Attempt, CheckpointSignoff
from app.certifications.models import Requirement, RequirementKind
from app.extensions import db
from app.learning.models import Enrollment, LearningPath, PathEnrollment
from app.policies.models import Acknowledgement, Policy


@dataclass(frozen=True)
class RequirementStatus:
    requirement: Requirement
    done: bool


def _since(column: Any, since: datetime | None) -> list[ColumnElement[bool]]:
    return [] if since is None else [column >= since]


def _course_done(user_id: int, course_id: int, since: datetime | None) -> bool:
    statement = select(Enrollment.id).where(
        Enrollment.user_id == user_id,
        Enrollment.course_id == course_id,
        Enrollment.completed_at.is_not(None),
        *_since(Enrollment.completed_at, since),
    )
    return db.session.scalars(statement.limit(1)).first() is not None


def is_met(requirement: Requirement, user_id: int, since: datetime | None = None) -> bool:
    """Whether *user_id* did what *requirement* asks (from *since* on, when given)."""
    kind, item_id = requirement.kind, requirement.item_id
    statement: Select[int]
    if kind == RequirementKind.course.value:
        return _course_done(user_id, item_id, since)
    elif kind == RequirementKind.path.value and since is not None:
        # A renewal re-enrols people in the path's courses: each of them done again counts.
        path = db.session.get(LearningPath, item_id)
        return (
            path is not None
            and bool(path.steps)
            and all(_course_done(user_id, step.course_id, since) for step in path.steps)
        )
    elif kind == RequirementKind.path.value:
        statement = select(PathEnrollment.id).where(
            PathEnrollment.user_id == user_id,
            PathEnrollment.path_id == item_id,
            PathEnrollment.completed_at.is_not(None),
            *_since(PathEnrollment.completed_at, since),
        )
    elif kind == RequirementKind.quiz.value:
        score = (
            Attempt.passed.is_(True)
            if requirement.min_score is None
            else Attempt.score_percent >= requirement.min_score
        )
        statement = select(Attempt.id).where(
            Attempt.user_id == user_id,
            Attempt.quiz_id == item_id,
            Attempt.submitted_at.is_not(None),
            score,
            *_since(Attempt.submitted_at, since),
        )
    elif kind == RequirementKind.checkpoint.value:
        statement = select(CheckpointSignoff.id).where(
            CheckpointSignoff.user_id == user_id,
            CheckpointSignoff.lesson_id == item_id,
            *_since(CheckpointSignoff.signed_at, since),
        )
    elif kind == RequirementKind.policy.value:
        policy = db.session.get(Policy, item_id)
        binding = policy.binding_version if policy else None
        if binding is None:
            return False
        statement = select(Acknowledgement.id).where(
            Acknowledgement.user_id == user_id,
            Acknowledgement.version_id == binding.id,
        )  # an acceptance of the binding version stands until a material new version asks again
    else:
        return False
    return db.session.scalars(statement.limit(1)).first() is not None


def statuses(
    requirements: list[Requirement], user_id: int, since: datetime | None = None
) -> list[RequirementStatus]:
    """Each requirement with whether it is done."""
    return [RequirementStatus(r, is_met(r, user_id, since)) for r in requirements]


def all_met(requirements: list[Requirement], user_id: int, since: datetime | None = None) -> bool:
    return bool(requirements) and all(is_met(r, user_id, since) for r in requirements)
