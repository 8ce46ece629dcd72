"""What learning does when something happens elsewhere.

Rules run whenever a person is created or changes, by any means (admin screen, SSO, SCIM, import);
lessons complete when their assessment is passed, their checkpoint signed or their policy accepted.
"""

from __future__ import annotations

from app.events import OutboxEvent, subscribe
from app.extensions import db


@subscribe("user.created")
@subscribe("user.updated")
@subscribe("user.reactivated")
def _apply_rules_to_person(event: OutboxEvent) -> None:
    from app.accounts.models import User
    from app.learning.services.rules import run_rules_for_user

    user = db.session.get(User, event.payload["user_id"])
    if user is not None:
        run_rules_for_user(user)


@subscribe("group.members_added")
def _apply_rules_to_new_members(event: OutboxEvent) -> None:
    from app.accounts.models import User
    from app.learning.services.rules import run_rules_for_user

    for user_id in event.payload.get("user_ids", []):
        user = db.session.get(User, user_id)
        if user is not None:
            run_rules_for_user(user)


# --- Lesson completion: other features announce what was done; learning completes the lesson ---------


def _complete(enrollment_id: int | None, lesson_id: int | None) -> None:
    """Complete the lesson in the emitter's transaction, so what follows it unlocks at once."""
    from app.learning.models import Enrollment, Lesson
    from app.learning.services.progress import complete_lesson

    if enrollment_id is None or lesson_id is None:
        return
    enrollment = db.session.get(Enrollment, enrollment_id)
    lesson = db.session.get(Lesson, lesson_id)
    if enrollment is not None and lesson is not None and enrollment.withdrawn_at is None:
        complete_lesson(enrollment, lesson)


@subscribe("assessment.passed")
def _complete_passed_assessment(event: OutboxEvent) -> None:
    """A pass completes the assessment lesson it was taken in, which unlocks what comes after."""
    _complete(event.payload.get("enrollment_id"), event.payload.get("lesson_id"))


@subscribe("checkpoint.signed")
def _complete_signed_checkpoint(event: OutboxEvent) -> None:
    """A sign-off completes the practical checkpoint, which unlocks what comes after."""
    _complete(event.payload.get("enrollment_id"), event.payload.get("lesson_id"))


POLICY_KIND = "policy"


@subscribe("policy.acknowledged")
def _complete_policy_lessons(event: OutboxEvent) -> None:
    """Complete the signer's open lessons for this policy once nothing of it is pending for them."""
    from sqlalchemy import select

    from app.errors import ValidationError
    from app.learning.models import Enrollment, Lesson
    from app.learning.services import progress

    if not event.payload.get("nothing_pending"):
        return
    user_id, policy_id = event.payload["user_id"], event.payload["policy_id"]
    rows = db.session.execute(
        select(Enrollment, Lesson)
        .join(Lesson, Lesson.course_id == Enrollment.course_id)
        .where(
            Enrollment.user_id == user_id,
            Enrollment.withdrawn_at.is_(None),
            Lesson.kind == POLICY_KIND,
        )
    )
    for enrollment, lesson in rows:
        if (lesson.content or {}).get("policy_id") != policy_id:
            continue
        if lesson not in progress.lessons_of(enrollment):
            continue
        try:
            progress.complete_lesson(enrollment, lesson)
        except ValidationError:
            continue  # locked behind a gate: visiting it later completes it
