"""My learning, the learner's home: what is assigned, in progress and done, their paths, what to try next.

A fixed number of statements whatever the person's learning or the portal's size. What the person may
see (their groups, their unit and the units above it, their job title) is found inside the statements
that need it, bound to the person, rather than by a statement of its own first (see
``visibility.person_clauses``); the statements are built once a process.
"""

from __future__ import annotations

from datetime import date
from functools import lru_cache
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.orm import joinedload

from app.accounts import org
from app.accounts.models import User
from app.extensions import db
from app.learning.models import Course, Enrollment, EnrollmentStatus, LearningPath, PathEnrollment, PathStep
from app.learning.services.catalog import CourseSummary, EnrollmentCard, MyLearning, NextInPath
from app.learning.services.visibility import person_clauses, person_params

# A person's current enrolments with the little of each course My learning shows, as plain rows (a page
# of cards needs no ORM objects, identity map or load events).
_MY_ENROLLMENTS = (
    select(
        Enrollment.id,
        Enrollment.course_id,
        Enrollment.status,
        Enrollment.source,
        Enrollment.enrolled_at,
        Enrollment.started_at,
        Enrollment.completed_at,
        Enrollment.due_on,
        Enrollment.progress_percent,
        Course.title,
        Course.duration_minutes,
        Course.status.label("course_status"),
        Course.language.label("course_language"),
    )
    .join(Course, Enrollment.course_id == Course.id)
    .where(Enrollment.user_id == bindparam("user_id"), Enrollment.withdrawn_at.is_(None))
    .order_by(Enrollment.enrolled_at.desc())
)

# The learner's paths with their steps (one statement).
_MY_PATHS = (
    select(PathEnrollment)
    .where(PathEnrollment.user_id == bindparam("user_id"), PathEnrollment.withdrawn_at.is_(None))
    .options(joinedload(PathEnrollment.path, innerjoin=True).joinedload(LearningPath.steps))
    .order_by(PathEnrollment.id)  # as enrolled (the steps, joined, would order the rows otherwise)
)


@lru_cache(maxsize=2)
def _visible_statements(per_row: bool) -> tuple[Any, Any]:
    """The suggestions and the paths through completed courses, kept to what the bound person may see.

    Built once a process (for its kind of database, *per_row*: ``org.probe_per_row()``).
    """
    courses, paths = person_clauses(per_row)
    # The four newest courses they may see and could enrol in themselves, and have not.
    suggestions = (
        select(Course.id, Course.title, Course.duration_minutes, Course.status, Course.language)
        .where(
            Course.listed.is_(True),
            Course.self_enroll.is_(True),
            ~select(Enrollment.id)
            .where(
                Enrollment.course_id == Course.id,
                Enrollment.user_id == bindparam("user_id"),
                Enrollment.withdrawn_at.is_(None),
            )
            .exists(),
            courses,
        )
        .order_by(Course.created_at.desc())
        .limit(4)
    )
    # The paths through any of the courses they completed (``course_ids``), with their steps' courses
    # (joined: one statement whatever the number of paths), by title.
    paths_through = (
        select(LearningPath)
        .where(
            LearningPath.steps.any(PathStep.course_id.in_(bindparam("course_ids", expanding=True))),
            paths,
        )
        .options(joinedload(LearningPath.steps).joinedload(PathStep.course, innerjoin=True))
        .order_by(LearningPath.title)
    )
    return suggestions, paths_through


def _card(row: Any) -> EnrollmentCard:
    course = CourseSummary(
        row.course_id, row.title, row.duration_minutes, row.course_status, row.course_language
    )
    return EnrollmentCard(
        id=row.id,
        course_id=row.course_id,
        status=row.status,
        source=row.source,
        enrolled_at=row.enrolled_at,
        started_at=row.started_at,
        completed_at=row.completed_at,
        due_on=row.due_on,
        progress_percent=row.progress_percent or 0,
        course=course,
    )


def _next_in_paths(
    statement: Any, person: dict[str, Any], completed: list[EnrollmentCard]
) -> dict[int, list[NextInPath]]:
    """For each completed course, the course after it in every published path the person may see, unless
    they completed that one too (one statement, none without a completed course)."""
    done = {e.course_id for e in completed}
    if not done:
        return {}
    paths = db.session.scalars(statement, {**person, "course_ids": sorted(done)}).unique().all()
    found: dict[int, list[NextInPath]] = {course_id: [] for course_id in done}
    for path in paths:
        for step, following in zip(path.steps, path.steps[1:], strict=False):
            course = following.course
            if step.course_id in done and course.status == "published" and course.id not in done:
                found[step.course_id].append(NextInPath(path=path, course=course))
    return {course_id: items for course_id, items in found.items() if items}


def my_learning(user: User, today: date) -> MyLearning:
    """The learner's home: what is assigned (overdue first), in progress, done, and what to try next."""
    person = person_params(user)
    suggested, paths_through = _visible_statements(org.probe_per_row())
    assigned: list[EnrollmentCard] = []
    in_progress: list[EnrollmentCard] = []
    completed: list[EnrollmentCard] = []
    completed_status = EnrollmentStatus.completed.value
    for row in db.session.execute(_MY_ENROLLMENTS, {"user_id": user.id}):
        enrollment = _card(row)
        if enrollment.status == completed_status:
            completed.append(enrollment)
        elif enrollment.started_at is None and enrollment.source != "self":
            assigned.append(enrollment)
        else:
            in_progress.append(enrollment)
    far = date.max
    assigned.sort(key=lambda e: (e.due_on or far, e.course.title))
    in_progress.sort(key=lambda e: (e.due_on or far, e.course.title))
    completed.sort(key=lambda e: e.completed_at or e.enrolled_at, reverse=True)
    return MyLearning(
        assigned=assigned,
        in_progress=in_progress,
        completed=completed,
        paths=list(db.session.scalars(_MY_PATHS, {"user_id": user.id}).unique()),
        suggestions=[CourseSummary(*row) for row in db.session.execute(suggested, person)],
        today=today,
        next_in_paths=_next_in_paths(paths_through, person, completed),
    )
