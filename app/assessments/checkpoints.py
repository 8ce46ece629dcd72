"""Practical checkpoints: a manager or instructor signs off what they saw a learner demonstrate."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from typing import Any

from flask_babel import get_timezone
from flask_babel import gettext as _
from sqlalchemy import ARRAY, Integer, Select, String, any_, bindparam, cast, select
from sqlalchemy.orm import selectinload

from app import audit, events
from app.accounts import org
from app.accounts import permissions as perms
from app.accounts.models import User, UserStatus
from app.assessments.models import CheckpointSignoff
from app.db_types import id_array
from app.errors import ValidationError
from app.extensions import db
from app.learning.lesson_kinds import get_kind
from app.learning.models import Course, Enrollment, Lesson
from app.learning.services import progress
from app.tenancy.models import insert_unless_exists

CHECKPOINT = "checkpoint"
NOTE_MAX = 2000


@dataclass(frozen=True)
class AwaitingCheckpoint:
    """A checkpoint lesson a learner may be signed off in now."""

    enrollment: Enrollment
    lesson: Lesson
    learner: User
    course: Course
    waiting_since: datetime


def signs_for_anyone(signer: User) -> bool:
    """Instructors and tenant admins (courses.teach) sign off anyone in the tenant."""
    return signer.can(perms.COURSES_TEACH)


def may_sign_for(signer: User, learner_id: int) -> bool:
    """Whether *signer* may sign off checkpoints of the learner with *learner_id* (never their own)."""
    if signer.id == learner_id:
        return False
    if signs_for_anyone(signer):
        return True
    return signer.can(perms.TEAM_VIEW) and org.reaches(signer, learner_id)


@lru_cache(maxsize=1024)
def _everyone_but(signer_id: int) -> Select[int]:
    # Kept, as a manager's reach is, so the statement built on it is kept too (_open_enrollments_of).
    return select(User.id).where(User.status == UserStatus.active.value, User.id != signer_id)


def _people_signed_for(signer: User) -> Select[int] | None:
    """A SELECT of the ids of the people *signer* signs off checkpoints for (None: nobody)."""
    if signs_for_anyone(signer):
        return _everyone_but(signer.id)
    if signer.can(perms.TEAM_VIEW):
        return org.reach_select(signer)
    return None


def checkpoint_items(lesson: Lesson) -> list[str]:
    return list((lesson.content or {}).get("items") or [])


def _local_date(moment: datetime) -> date:
    return moment.astimezone(get_timezone()).date()


def today() -> date:
    """Today in the current person's time zone."""
    return datetime.now(get_timezone()).date()


def existing_signoff(enrollment: Enrollment, lesson: Lesson) -> CheckpointSignoff | None:
    return db.session.scalars(
        select(CheckpointSignoff).where(
            CheckpointSignoff.enrollment_id == enrollment.id, CheckpointSignoff.lesson_id == lesson.id
        )
    ).first()


def sign_off_checkpoint(
    signer: User,
    enrollment: Enrollment,
    lesson: Lesson,
    *,
    observed_items: list[str],
    observed_on: date | None,
    note: str = "",
) -> CheckpointSignoff:
    """Record that *signer* saw the learner demonstrate every item of checkpoint *lesson*, completing it.

    Signing the same checkpoint again returns the first sign-off: it is evidence and is never replaced.
    """
    if lesson.kind != CHECKPOINT or lesson not in progress.lessons_of(enrollment):
        raise ValidationError(_("That lesson is not a practical checkpoint of this course."))
    learner = enrollment.user
    if signer.id == learner.id:
        raise ValidationError(_("Someone else must sign off your own checkpoint."))
    if not may_sign_for(signer, learner.id):
        raise ValidationError(_("You may sign off checkpoints only for people you manage or teach."))
    if enrollment.withdrawn_at is not None:
        raise ValidationError(_("%(name)s is no longer enrolled in this course.", name=learner.full_name))
    signed = existing_signoff(enrollment, lesson)
    if signed is not None:
        return signed
    gate = progress.locked_lessons(enrollment).get(lesson.id)
    if gate is not None:
        raise ValidationError(gate_message(learner, gate))
    ticked = {" ".join(item.split()) for item in observed_items}
    missing = [item for item in checkpoint_items(lesson) if item not in ticked]
    if missing:
        raise ValidationError(
            _("Tick every observation you saw. Not ticked: %(items)s.", items="; ".join(missing)),
            field="items",
        )
    if observed_on is None:
        raise ValidationError(_("Enter the date you observed the demonstration."), field="observed_on")
    if observed_on > today():
        raise ValidationError(_("The observation date cannot be in the future."), field="observed_on")
    began = _local_date(enrollment.enrolled_at)
    if observed_on < began:
        raise ValidationError(
            _(
                "The observation date cannot be before %(name)s enrolled (%(date)s).",
                name=learner.full_name,
                date=began.isoformat(),
            ),
            field="observed_on",
        )
    note = (note or "").strip()
    if len(note) > NOTE_MAX:
        raise ValidationError(_("Keep the note under %(n)d characters.", n=NOTE_MAX), field="note")

    # Two signers (or a double click) racing: one row is inserted, the others get the first sign-off.
    signoff_id = insert_unless_exists(
        CheckpointSignoff,
        enrollment_id=enrollment.id,
        lesson_id=lesson.id,
        user_id=learner.id,
        signed_by_id=signer.id,
        observed_on=observed_on,
        items=checkpoint_items(lesson),
        note=note,
    )
    if signoff_id is None:
        first = existing_signoff(enrollment, lesson)
        assert first is not None  # the conflicting row is committed: ON CONFLICT waited for it
        return first
    signoff = db.session.get(CheckpointSignoff, signoff_id)
    assert signoff is not None
    audit.record(
        "checkpoint.signed",
        target=signoff,
        before={"learner": learner.email, "lesson": lesson.title, "signed": False},
        after={
            "learner": learner.email,
            "course": enrollment.course.title,
            "lesson": lesson.title,
            "items": signoff.items,
            "observed_on": observed_on.isoformat(),
            "signer": signer.email,
            "note": note,
        },
    )
    events.emit(
        "checkpoint.signed",
        {
            "enrollment_id": enrollment.id,
            "lesson_id": lesson.id,
            "course_id": enrollment.course_id,
            "user_id": learner.id,
            "signed_by_id": signer.id,
            "observed_on": observed_on.isoformat(),
        },
    )  # learning's subscriber completes the lesson, in this transaction
    return signoff


def gate_message(learner: User, gate: Lesson) -> str:
    if gate.kind == CHECKPOINT:
        return _("%(name)s needs “%(title)s” signed off first.", name=learner.full_name, title=gate.title)
    if gate.kind == "assessment":
        return _("%(name)s must pass “%(title)s” first.", name=learner.full_name, title=gate.title)
    return _("%(name)s must complete “%(title)s” first.", name=learner.full_name, title=gate.title)


#: The parameter the ids of the people signed for are bound to when the caller has read them.
_PEOPLE_IDS = "people_ids"


@lru_cache(maxsize=1024)
def _open_enrollments_of(people: Select[int] | str) -> Select[Any]:
    """The open enrollments of *people* in courses with a checkpoint, with what telling what waits reads.

    *people* is a statement of their ids, or the name of the database's dialect: the ids are then
    bound as ``people_ids`` when it runs (on PostgreSQL one array, elsewhere an ``IN`` list).
    Built once for each statement of the people signed for (each is kept: :func:`_people_signed_for`):
    building it, with its loader options, costs more Python than running it on My team, and it holds
    no one's data (the tenant's criteria are added when it runs).
    """
    if isinstance(people, str):
        among = (
            # Bound as the array's text (app.db_types.id_array): a list is written into an
            # array by psycopg in Python, five calls a person.
            Enrollment.user_id == any_(cast(bindparam(_PEOPLE_IDS, type_=String), ARRAY(Integer)))
            if people == "postgresql"
            else Enrollment.user_id.in_(bindparam(_PEOPLE_IDS, expanding=True))
        )
    else:
        among = Enrollment.user_id.in_(people)
    with_checkpoints = select(Lesson.course_id).where(Lesson.kind == CHECKPOINT)
    return (
        select(Enrollment)
        .where(
            among,
            Enrollment.course_id.in_(with_checkpoints),
            Enrollment.withdrawn_at.is_(None),
            Enrollment.completed_at.is_(None),
        )
        .options(
            selectinload(Enrollment.user),
            selectinload(Enrollment.course)
            .load_only(Course.title, Course.deployment_id)
            .selectinload(Course.lessons)
            .load_only(Lesson.kind, Lesson.title, Lesson.position, Lesson.library_version_id),
            selectinload(Enrollment.progress),
        )
    )


def checkpoints_awaiting(signer: User, *, reach: Collection[int] | None = None) -> list[AwaitingCheckpoint]:
    """Checkpoints open for sign-off (their gate passed, not yet signed) of the people *signer* signs for.

    Only open enrollments in courses that have a checkpoint can be waiting, so only those are read,
    with their learners, courses, lessons (without their content) and progress: a fixed number of
    queries, and work that grows with the checkpoints rather than with the team's whole training.
    *reach*: the ids of the people *signer* reaches, when the caller has read them already (My team):
    a manager's reach is then not walked a second time.
    """
    if reach is not None and not signs_for_anyone(signer) and signer.can(perms.TEAM_VIEW):
        if not reach:
            return []
        dialect = db.session.get_bind().dialect.name
        ids = id_array(sorted(reach)) if dialect == "postgresql" else sorted(reach)
        enrollments = db.session.scalars(_open_enrollments_of(dialect), {_PEOPLE_IDS: ids}).all()
    else:
        people = _people_signed_for(signer)
        if people is None:
            return []
        enrollments = db.session.scalars(_open_enrollments_of(people)).all()
    waiting: list[AwaitingCheckpoint] = []
    for enrollment in enrollments:
        done = {p.lesson_id: p.completed_at for p in enrollment.progress if p.completed_at is not None}
        since = enrollment.enrolled_at
        for lesson in progress.lessons_of(enrollment):
            if not get_kind(lesson.kind).gates:
                continue
            if lesson.id in done:
                since = done[lesson.id] or since
                continue
            if lesson.kind == CHECKPOINT:
                waiting.append(
                    AwaitingCheckpoint(
                        enrollment=enrollment,
                        lesson=lesson,
                        learner=enrollment.user,
                        course=enrollment.course,
                        waiting_since=since,
                    )
                )
            break  # an open gate locks everything after it
    return sorted(waiting, key=lambda w: (w.waiting_since, w.learner.full_name))


def recent_signoffs(signer: User, limit: int = 10) -> list[tuple[CheckpointSignoff, User, Lesson, Course]]:
    """The checkpoints *signer* signed off most recently, with learner, lesson and course."""
    rows = db.session.execute(
        select(CheckpointSignoff, User, Lesson, Course)
        .join(User, User.id == CheckpointSignoff.user_id)
        .join(Lesson, Lesson.id == CheckpointSignoff.lesson_id)
        .join(Course, Course.id == Lesson.course_id)
        .where(CheckpointSignoff.signed_by_id == signer.id)
        .order_by(CheckpointSignoff.signed_at.desc(), CheckpointSignoff.id.desc())
        .limit(limit)
    ).all()
    return [(row[0], row[1], row[2], row[3]) for row in rows]
