"""What a manager does from the dashboard of My team: remind a person, extend a course or path due date."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import func, select

from app import audit, jobs
from app.accounts.models import User
from app.compliance.models import Reminder
from app.compliance.statements import IDS, ids_in, rows
from app.compliance.status import portal_today
from app.errors import ValidationError
from app.extensions import db
from app.learning.models import Course, Enrollment, LearningPath, PathEnrollment
from app.tenancy.models import utcnow

#: A person is reminded at most once in this long, whoever sends it.
REMIND_EVERY = timedelta(hours=1)
REASON_MAX = 500


def last_reminders(user_ids: list[int]) -> dict[int, datetime]:
    """When each of *user_ids* was last reminded (one statement)."""
    if not user_ids:
        return {}
    found = rows(
        ("last reminders",),
        lambda: (
            select(Reminder.user_id, func.max(Reminder.sent_at))
            .where(ids_in(Reminder.user_id))
            .group_by(Reminder.user_id)
        ),
        {IDS: sorted(user_ids)},
    )
    # In UTC whichever way the statement ran (its SQL alone hands PostgreSQL's moment back as it is).
    return {user_id: sent_at.astimezone(UTC) for user_id, sent_at in found}


def remind(person: User, *, by: User, now: datetime | None = None) -> Reminder:
    """Send *person* a reminder of their open required items now (an email, or their inbox without one)."""
    now = now or utcnow()
    last = last_reminders([person.id]).get(person.id)
    if last is not None and now - aware(last) < REMIND_EVERY:
        minutes = max(1, int((now - aware(last)).total_seconds() // 60))
        raise ValidationError(
            _(
                "%(name)s was reminded %(minutes)d min ago; you can remind them again after an hour.",
                name=person.full_name,
                minutes=minutes,
            )
        )
    reminder = Reminder(
        user_id=person.id, sent_by_id=by.id, sent_at=now, channel="email" if person.email else "inbox"
    )
    db.session.add(reminder)
    db.session.flush()
    audit.record(
        "compliance.reminded",
        target=person,
        after={"user_id": person.id, "user": person.email, "channel": reminder.channel},
    )
    jobs.enqueue(
        "app.compliance.jobs:send_reminder", reminder.id, job_key=f"compliance-reminder:{reminder.id}"
    )
    return reminder


def aware(moment: datetime) -> datetime:
    """*moment* with its UTC zone (SQLite hands stored moments back without one)."""
    from datetime import UTC

    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def parse_due_date(raw: str | None) -> date:
    """The new due date a manager typed, refused with a message when it is missing or not a date."""
    raw = (raw or "").strip()
    if not raw:
        raise ValidationError(_("Enter the new due date."), field="due_on")
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise ValidationError(_("Enter the new due date as YYYY-MM-DD."), field="due_on") from None


def _check_new_due_date(
    current: date | None, new_due_on: date, reason: str, *, still_open: bool, today: date
) -> str:
    """The reason, cleaned, once the new due date and the reason are acceptable; refused otherwise."""
    reason = (reason or "").strip()
    if new_due_on < today:
        raise ValidationError(_("The new due date cannot be in the past."), field="due_on")
    if current is not None and new_due_on == current:
        raise ValidationError(_("That is already the due date; choose another."), field="due_on")
    if not reason:
        raise ValidationError(_("Say why the due date moves."), field="reason")
    if len(reason) > REASON_MAX:
        raise ValidationError(_("Keep the reason under %(n)d characters.", n=REASON_MAX), field="reason")
    if not still_open:
        raise ValidationError(_("This training is no longer open; its due date cannot move."))
    return reason


def extend_due_date(
    enrollment: Enrollment, new_due_on: date, reason: str, *, today: date | None = None
) -> None:
    """Move *enrollment*'s due date to *new_due_on* for *reason*; audited with the dates before and after."""
    reason = _check_new_due_date(
        enrollment.due_on,
        new_due_on,
        reason,
        still_open=enrollment.withdrawn_at is None and enrollment.completed_at is None,
        today=today or portal_today(),
    )
    learner = db.session.get(User, enrollment.user_id)
    course = db.session.get(Course, enrollment.course_id)
    before = enrollment.due_on
    enrollment.due_on = new_due_on
    audit.record(
        "enrollment.due_date_extended",
        target=enrollment,
        before={"due_on": before.isoformat() if before else None},
        after={
            "due_on": new_due_on.isoformat(),
            "reason": reason,
            "user_id": enrollment.user_id,
            "user": learner.email if learner else None,
            "course": course.title if course else None,
        },
    )


def extend_path_due_date(
    path_enrollment: PathEnrollment, new_due_on: date, reason: str, *, today: date | None = None
) -> None:
    """Move a learning path's due date for one person to *new_due_on* for *reason*; audited before and after.

    Only the path's own due date moves: its courses keep theirs (each can be extended on its own).
    """
    reason = _check_new_due_date(
        path_enrollment.due_on,
        new_due_on,
        reason,
        still_open=path_enrollment.withdrawn_at is None and path_enrollment.completed_at is None,
        today=today or portal_today(),
    )
    learner = db.session.get(User, path_enrollment.user_id)
    path = db.session.get(LearningPath, path_enrollment.path_id)
    before = path_enrollment.due_on
    path_enrollment.due_on = new_due_on
    audit.record(
        "path_enrollment.due_date_extended",
        target=path_enrollment,
        before={"due_on": before.isoformat() if before else None},
        after={
            "due_on": new_due_on.isoformat(),
            "reason": reason,
            "user_id": path_enrollment.user_id,
            "user": learner.email if learner else None,
            "path": path.title if path else None,
        },
    )
