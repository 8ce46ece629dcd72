"""My learning, the learner's home: what is assigned, in progress and done, their paths, what to try next.

A fixed number of statements whatever the person's learning or the portal's size. What the person may
see (their groups, their unit and the units above it, their job title) is found inside the statements
that need it, bound to the person, rather than by a statement of its own first (see
``visibility.person_clauses``); the statements are built once a process.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from functools import lru_cache
from typing import Any, NamedTuple

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import aliased

from app.accounts import org
from app.accounts.models import User
from app.extensions import db
from app.learning.models import Course, Enrollment, EnrollmentStatus, LearningPath, PathEnrollment, PathStep
from app.learning.services.catalog import CourseSummary, EnrollmentCard
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
        # Whether the course is a step of any path: what comes next is looked for only after those.
        select(PathStep.id).where(PathStep.course_id == Enrollment.course_id).exists().label("in_a_path"),
    )
    .join(Course, Enrollment.course_id == Course.id)
    .where(Enrollment.user_id == bindparam("user_id"), Enrollment.withdrawn_at.is_(None))
    .order_by(Enrollment.enrolled_at.desc())
)

# The learner's paths with their number of courses, as plain rows, as enrolled.
_MY_PATHS = (
    select(PathEnrollment.path_id, LearningPath.title, func.count(PathStep.id), PathEnrollment.completed_at)
    .join(LearningPath, PathEnrollment.path_id == LearningPath.id)
    .outerjoin(PathStep, PathStep.path_id == LearningPath.id)
    .where(PathEnrollment.user_id == bindparam("user_id"), PathEnrollment.withdrawn_at.is_(None))
    .group_by(PathEnrollment.id, PathEnrollment.path_id, LearningPath.title, PathEnrollment.completed_at)
    .order_by(PathEnrollment.id)
)


class MyPath(NamedTuple):
    """A learning path the learner is on: what My learning shows of it."""

    path_id: int
    title: str
    steps: int
    completed_at: datetime | None


class NextCourse(NamedTuple):
    """The course after a completed one in a path: the path's id and title, the course."""

    path_id: int
    path_title: str
    course: CourseSummary


@dataclass
class MyLearning:
    assigned: list[EnrollmentCard]
    in_progress: list[EnrollmentCard]
    completed: list[EnrollmentCard]
    paths: list[MyPath]
    suggestions: list[CourseSummary]
    today: date
    next_in_paths: dict[int, list[NextCourse]] = field(default_factory=dict)


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
    # The steps, in order, of the paths through any of the courses they completed (``course_ids``), with
    # their courses, as plain rows by the paths' titles. The step joined is an alias: the paths' own
    # steps are looked at by the EXISTS of ``steps.any``.
    step = aliased(PathStep)
    paths_through = (
        select(
            LearningPath.id,
            LearningPath.title,
            step.course_id,
            Course.title,
            Course.duration_minutes,
            Course.status,
            Course.language,
        )
        .join(step, step.path_id == LearningPath.id)
        .join(Course, step.course_id == Course.id)
        .where(
            LearningPath.steps.any(PathStep.course_id.in_(bindparam("course_ids", expanding=True))),
            paths,
        )
        .order_by(LearningPath.title, LearningPath.id, step.position)
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
    statement: Any, person: dict[str, Any], completed: list[EnrollmentCard], in_a_path: set[int]
) -> dict[int, list[NextCourse]]:
    """For each completed course, the course after it in every published path the person may see, unless
    they completed that one too (one statement, none when no completed course is in a path,
    *in_a_path*)."""
    done = {e.course_id for e in completed}
    after = done & in_a_path
    if not after:
        return {}
    found: dict[int, list[NextCourse]] = {course_id: [] for course_id in done}
    previous: tuple[int, int] | None = None  # (path, course) of the step before, within a path
    for path_id, path_title, course_id, *course in db.session.execute(
        statement, {**person, "course_ids": sorted(after)}
    ):
        if previous is not None and previous[0] == path_id:
            before = previous[1]
            if before in done and course[2] == "published" and course_id not in done:
                found[before].append(NextCourse(path_id, path_title, CourseSummary(course_id, *course)))
        previous = (path_id, course_id)
    return {course_id: items for course_id, items in found.items() if items}


def my_learning(user: User, today: date) -> MyLearning:
    """The learner's home: what is assigned (overdue first), in progress, done, and what to try next."""
    person = person_params(user)
    suggested, paths_through = _visible_statements(org.probe_per_row())
    assigned: list[EnrollmentCard] = []
    in_progress: list[EnrollmentCard] = []
    completed: list[EnrollmentCard] = []
    completed_status = EnrollmentStatus.completed.value
    in_a_path: set[int] = set()
    for row in db.session.execute(_MY_ENROLLMENTS, {"user_id": user.id}):
        enrollment = _card(row)
        if enrollment.status == completed_status:
            completed.append(enrollment)
            if row.in_a_path:
                in_a_path.add(row.course_id)
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
        paths=[MyPath(*row) for row in db.session.execute(_MY_PATHS, {"user_id": user.id})],
        suggestions=[CourseSummary(*row) for row in db.session.execute(suggested, person)],
        today=today,
        next_in_paths=_next_in_paths(paths_through, person, completed, in_a_path),
    )
