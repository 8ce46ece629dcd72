"""Enrol people in courses and paths, withdraw them, and compute due dates. Idempotent throughout."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import and_, bindparam, select
from sqlalchemy.orm import contains_eager, load_only

from app import audit, events
from app.accounts.models import GroupMembership, OrgUnit, User, UserStatus
from app.accounts.org import subtree_select
from app.errors import ValidationError
from app.extensions import db
from app.learning.models import (
    Course,
    CourseStatus,
    Enrollment,
    EnrollmentStatus,
    LearningPath,
    Lesson,
    LessonProgress,
    PathEnrollment,
)
from app.tenancy.models import insert_unless_exists, utcnow

SOURCES = ("manual", "self", "rule", "path", "manager")


DUE_MODE_KEYS = ("none", "fixed", "after_enrolment", "after_hire")
MAX_DUE_DAYS = 3650


def clean_due(mode: str | None, days: Any, fixed: Any) -> tuple[str, int | None, date | None]:
    """Return (mode, days, fixed date) checked, or refuse naming the field to fix.

    A mode counted in days needs the number of days; a fixed date must not be in the past
    (it would make every enrolment overdue at once).
    """
    mode = mode or "none"
    if mode not in DUE_MODE_KEYS:
        raise ValidationError(_("Choose when it is due."), field="due_mode")
    if mode in ("after_enrolment", "after_hire"):
        if days in (None, ""):
            raise ValidationError(
                _("Enter the number of days until it is due, or choose another kind of due date."),
                field="due_days",
            )
        try:
            count = int(days)
        except (TypeError, ValueError):
            raise ValidationError(
                _("Enter the number of days as a whole number."), field="due_days"
            ) from None
        if not 1 <= count <= MAX_DUE_DAYS:
            raise ValidationError(_("Enter between 1 and %(max)d days.", max=MAX_DUE_DAYS), field="due_days")
        return mode, count, None
    if mode == "fixed":
        if fixed in (None, ""):
            raise ValidationError(
                _("Enter the due date, or choose another kind of due date."), field="due_date"
            )
        try:
            when = fixed if isinstance(fixed, date) else date.fromisoformat(str(fixed))
        except ValueError:
            raise ValidationError(_("Enter the due date as YYYY-MM-DD."), field="due_date") from None
        today = utcnow().date()
        if when < today:
            raise ValidationError(
                _(
                    "The due date %(date)s has passed: choose today or a later date.",
                    date=when.isoformat(),
                ),
                field="due_date",
            )
        return mode, None, when
    return mode, None, None


def due_date_for(
    user: User,
    mode: str,
    *,
    days: int | None = None,
    fixed: date | None = None,
    enrolled_on: date | None = None,
) -> date | None:
    """Return *user*'s due date under *mode*: none, fixed, N days after enrolment or after hire."""
    enrolled_on = enrolled_on or utcnow().date()
    if mode == "fixed":
        return fixed
    if mode == "after_enrolment" and days is not None:
        return enrolled_on + timedelta(days=days)
    if mode == "after_hire" and days is not None:
        return (
            (user.hire_date + timedelta(days=days)) if user.hire_date else enrolled_on + timedelta(days=days)
        )
    return None


# Built once, with bound values: the tenant scoping keeps one scoped copy of each per tenant, whose cache
# key is computed once, instead of building and keying the statement for every page that asks.
_CURRENT_ENROLLMENT = select(Enrollment).where(
    Enrollment.user_id == bindparam("user_id"),
    Enrollment.course_id == bindparam("course_id"),
    Enrollment.withdrawn_at.is_(None),
)

# The course page's: the course and its lessons, the person's current enrollment in it (at most one) and
# their progress in each lesson (at most one an enrollment), so each lesson is one row. Only the columns
# the page shows: one left out would load with a statement of its own, which the tests of the page's
# statement count catch.
_COURSE_WITH_ENROLLMENT = (
    select(Course, Enrollment)
    .outerjoin(Course.lessons)
    .outerjoin(
        Enrollment,
        and_(
            Enrollment.course_id == Course.id,
            Enrollment.user_id == bindparam("user_id"),
            Enrollment.withdrawn_at.is_(None),
        ),
    )
    .outerjoin(
        LessonProgress,
        and_(LessonProgress.enrollment_id == Enrollment.id, LessonProgress.lesson_id == Lesson.id),
    )
    .where(Course.id == bindparam("course_id"))
    .order_by(Lesson.position)  # the relationship's order, which rows loaded by hand do not get by themselves
    .options(
        load_only(
            Course.title,
            Course.description,
            Course.category,
            Course.tags,
            Course.language,
            Course.duration_minutes,
            Course.status,
            Course.self_enroll,
            Course.deployment_id,
            Course.library_version_id,
            Course.tenant_id,
        ),
        contains_eager(Course.lessons).load_only(
            Lesson.course_id,
            Lesson.library_version_id,
            Lesson.kind,
            Lesson.title,
            Lesson.required,
            Lesson.content,
            Lesson.tenant_id,
        ),
        load_only(
            Enrollment.course_id,
            Enrollment.library_version_id,
            Enrollment.started_at,
            Enrollment.completed_at,
            Enrollment.progress_percent,
            Enrollment.tenant_id,
        ),
        contains_eager(Enrollment.progress).load_only(
            LessonProgress.lesson_id, LessonProgress.completed_at, LessonProgress.tenant_id
        ),
    )
)


def current_enrollment(user_id: int, course_id: int) -> Enrollment | None:
    """The person's enrollment in the course, unless withdrawn."""
    return db.session.scalars(_CURRENT_ENROLLMENT, {"user_id": user_id, "course_id": course_id}).first()


def course_with_enrollment(user_id: int, course_id: int) -> tuple[Course | None, Enrollment | None]:
    """The course with its lessons, and the person's current enrollment in it with their progress in each
    lesson (None when not enrolled), in one statement, for showing (only what the course page reads)."""
    # Joined collections fill from every row: all rows, never just the first.
    rows = (
        db.session.execute(_COURSE_WITH_ENROLLMENT, {"user_id": user_id, "course_id": course_id})
        .unique()
        .all()
    )
    return (rows[0][0], rows[0][1]) if rows else (None, None)


def enrol(
    user: User,
    course: Course,
    *,
    due_on: date | None = None,
    source: str = "manual",
    rule_id: int | None = None,
    assigned_by: User | None = None,
    path_enrollment: PathEnrollment | None = None,
) -> tuple[Enrollment, bool]:
    """Enrol *user* in *course*; return the enrollment and whether it is new (never a duplicate)."""
    if source not in SOURCES:
        raise ValueError(source)
    existing = current_enrollment(user.id, course.id)
    if existing is not None:
        if path_enrollment is not None and existing.path_enrollment_id is None:
            existing.path_enrollment_id = path_enrollment.id
        return existing, False
    if course.status != CourseStatus.published.value:
        raise ValidationError(
            _("“%(title)s” is not published, so nobody can be enrolled yet.", title=course.title)
        )
    if user.status != UserStatus.active.value:
        raise ValidationError(_("%(name)s is deactivated and cannot be enrolled.", name=user.full_name))
    enrollment_id = insert_unless_exists(
        Enrollment,
        user_id=user.id,
        course_id=course.id,
        library_version_id=course.library_version_id,
        source=source,
        rule_id=rule_id,
        assigned_by_id=assigned_by.id if assigned_by else None,
        due_on=due_on,
        path_enrollment_id=path_enrollment.id if path_enrollment else None,
        status=EnrollmentStatus.active.value,
        enrolled_at=utcnow(),
    )
    if enrollment_id is None:
        # Another request enrolled them at the same moment (a double click, a manager and a rule):
        # one current enrolment per course is the rule, and theirs is the one.
        raced = current_enrollment(user.id, course.id)
        assert raced is not None  # the row that conflicted is committed and current
        return raced, False
    enrollment = db.session.get(Enrollment, enrollment_id)
    assert enrollment is not None  # just inserted in this transaction
    audit.record(
        "enrollment.created",
        target=enrollment,
        after={
            "user": user.email,
            "course": course.title,
            "due_on": due_on.isoformat() if due_on else None,
            "source": source,
            "rule_id": rule_id,
        },
    )
    events.emit(
        "enrollment.created",
        {
            "enrollment_id": enrollment.id,
            "user_id": user.id,
            "course_id": course.id,
            "source": source,
            "due_on": due_on.isoformat() if due_on else None,
        },
    )
    return enrollment, True


def withdraw(enrollment: Enrollment) -> Enrollment:
    """Take someone out of a course; their progress and history stay on record."""
    if enrollment.withdrawn_at is not None:
        return enrollment
    before = {"status": enrollment.status}
    enrollment.withdrawn_at = utcnow()
    if enrollment.status != EnrollmentStatus.completed.value:
        enrollment.status = EnrollmentStatus.withdrawn.value
    audit.record(
        "enrollment.withdrawn", target=enrollment, before=before, after={"status": enrollment.status}
    )
    events.emit(
        "enrollment.withdrawn",
        {"enrollment_id": enrollment.id, "user_id": enrollment.user_id, "course_id": enrollment.course_id},
    )
    return enrollment


def people_for(
    *, user_ids: Iterable[int] = (), group_id: int | None = None, org_unit_id: int | None = None
) -> list[User]:
    """The active people named, in a group, or in an org unit and everything below it."""
    ids: set[int] = {int(i) for i in user_ids}
    if group_id is not None:
        ids |= set(
            db.session.scalars(select(GroupMembership.user_id).where(GroupMembership.group_id == group_id))
        )
    statement = select(User).where(User.status == UserStatus.active.value)
    if org_unit_id is not None:
        unit = db.session.get(OrgUnit, org_unit_id)
        if unit is None:
            return []
        units = subtree_select(unit.id)
        if ids:
            statement = statement.where((User.id.in_(ids)) | (User.org_unit_id.in_(units)))
        else:
            statement = statement.where(User.org_unit_id.in_(units))
    elif ids:
        statement = statement.where(User.id.in_(ids))
    else:
        return []
    return list(db.session.scalars(statement.order_by(User.full_name)))


def enrol_people(
    people: list[User],
    target: Course | LearningPath,
    *,
    due_mode: str = "none",
    due_days: int | None = None,
    due_date: date | None = None,
    source: str = "manual",
    assigned_by: User | None = None,
    rule_id: int | None = None,
) -> dict[str, int]:
    """Enrol everyone in *people* in a course or path; return how many were new and how many already were."""
    due_mode, due_days, due_date = clean_due(due_mode, due_days, due_date)
    counts = {"created": 0, "existing": 0}
    # One order for everyone: two requests enrolling the same people wait for each other, never deadlock.
    for person in sorted(people, key=lambda p: p.id):
        due = due_date_for(person, due_mode, days=due_days, fixed=due_date)
        created: bool
        if isinstance(target, LearningPath):
            _path_enrollment, created = enrol_in_path(
                person, target, due_on=due, source=source, assigned_by=assigned_by, rule_id=rule_id
            )
        else:
            _enrollment, created = enrol(
                person, target, due_on=due, source=source, assigned_by=assigned_by, rule_id=rule_id
            )
        counts["created" if created else "existing"] += 1
    return counts


def current_path_enrollment(user_id: int, path_id: int) -> PathEnrollment | None:
    return db.session.scalars(
        select(PathEnrollment).where(
            PathEnrollment.user_id == user_id,
            PathEnrollment.path_id == path_id,
            PathEnrollment.withdrawn_at.is_(None),
        )
    ).first()


def enrol_in_path(
    user: User,
    path: LearningPath,
    *,
    due_on: date | None = None,
    source: str = "manual",
    rule_id: int | None = None,
    assigned_by: User | None = None,
) -> tuple[PathEnrollment, bool]:
    """Enrol *user* in *path* and in each of its courses that is unlocked for them."""
    existing = current_path_enrollment(user.id, path.id)
    if existing is not None:
        return existing, False
    if path.status != CourseStatus.published.value:
        raise ValidationError(
            _("“%(title)s” is not published, so nobody can be enrolled yet.", title=path.title)
        )
    path_enrollment_id = insert_unless_exists(
        PathEnrollment,
        user_id=user.id,
        path_id=path.id,
        due_on=due_on,
        source=source,
        rule_id=rule_id,
        assigned_by_id=assigned_by.id if assigned_by else None,
        status=EnrollmentStatus.active.value,
        enrolled_at=utcnow(),
    )
    if path_enrollment_id is None:
        # Enrolled by another request at the same moment: that request enrols them in the first course.
        raced = current_path_enrollment(user.id, path.id)
        assert raced is not None  # the row that conflicted is committed and current
        return raced, False
    path_enrollment = db.session.get(PathEnrollment, path_enrollment_id)
    assert path_enrollment is not None  # just inserted in this transaction
    audit.record(
        "path_enrollment.created",
        target=path_enrollment,
        after={"user": user.email, "path": path.title, "source": source},
    )
    events.emit(
        "enrollment.created",
        {"path_enrollment_id": path_enrollment.id, "user_id": user.id, "path_id": path.id, "source": source},
    )
    advance_path(path_enrollment, user)
    return path_enrollment, True


def advance_path(path_enrollment: PathEnrollment, user: User) -> None:
    """Enrol the learner in the next unlocked course of the path; complete the path after the last one."""
    steps = path_enrollment.path.steps
    completed_courses = set(
        db.session.scalars(
            select(Enrollment.course_id).where(
                Enrollment.user_id == user.id,
                Enrollment.completed_at.is_not(None),
                Enrollment.course_id.in_([s.course_id for s in steps]),
            )
        )
    )
    for step in steps:
        if step.course_id in completed_courses:
            continue
        existing = current_enrollment(user.id, step.course_id)
        if existing is None:
            enrol(
                user,
                step.course,
                due_on=path_enrollment.due_on,
                source="path",
                path_enrollment=path_enrollment,
            )
        elif existing.path_enrollment_id is None:
            existing.path_enrollment_id = path_enrollment.id
        return  # the next course unlocks only when this one is complete
    if path_enrollment.completed_at is None:
        path_enrollment.completed_at = utcnow()
        path_enrollment.status = EnrollmentStatus.completed.value
        audit.record(
            "path_enrollment.completed", target=path_enrollment, after={"path": path_enrollment.path.title}
        )
        events.emit(
            "path.completed",
            {
                "path_enrollment_id": path_enrollment.id,
                "user_id": user.id,
                "path_id": path_enrollment.path_id,
            },
        )


def enrollment_snapshot(enrollment: Enrollment) -> dict[str, Any]:
    return {
        "status": enrollment.status,
        "progress_percent": enrollment.progress_percent,
        "due_on": enrollment.due_on.isoformat() if enrollment.due_on else None,
    }
