"""What policies do when something happens: a signature completes the signer's policy lessons."""

from __future__ import annotations

from sqlalchemy import select

from app.accounts.models import User
from app.errors import ValidationError
from app.events import OutboxEvent, subscribe
from app.extensions import db
from app.learning.models import Enrollment, Lesson
from app.learning.services import progress
from app.policies.lesson_kind import PolicyLesson
from app.policies.services import pending_policies


@subscribe("policy.acknowledged")
def complete_policy_lessons(event: OutboxEvent) -> None:
    """Complete the signer's open lessons for this policy once nothing of it is pending for them."""
    user_id, policy_id = event.payload["user_id"], event.payload["policy_id"]
    user = db.session.get(User, user_id)
    if user is None or any(p.policy.id == policy_id for p in pending_policies(user)):
        return
    rows = db.session.execute(
        select(Enrollment, Lesson)
        .join(Lesson, Lesson.course_id == Enrollment.course_id)
        .where(
            Enrollment.user_id == user_id,
            Enrollment.withdrawn_at.is_(None),
            Lesson.kind == PolicyLesson.key,
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
            continue  # locked behind a gate: opening it later completes it
