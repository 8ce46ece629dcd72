"""Reports on learning: completions, assessment attempts, and drop-off per lesson of a course."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, case, func, literal, null, or_, select, union_all

from app.accounts.models import OrgUnit, User
from app.labels import LABELS, label
from app.reports.base import (
    Column,
    Filters,
    Report,
    Scope,
    cell,
    in_dates,
    of_people,
    person_columns,
)
from app.reports.sql_cells import SqlCells


class Completions(Report):
    key = "completions"
    title = _l("Completions")
    description = _l("Who completed which course or learning path, when, with their best score and attempts.")
    filter_names = ("date_from", "date_to", "unit", "job_title", "group", "course", "path")

    def columns(self) -> list[Column]:
        return [
            Column("person", _l("Person")),
            Column("email", _l("Email")),
            Column("location", _l("Location")),
            Column("job_title", _l("Job title")),
            Column("kind", _l("Kind")),
            Column("training", _l("Course or path")),
            Column("completed_at", _l("Completed at")),
            Column("score", _l("Best score (percent)")),
            Column("attempts", _l("Attempts")),
        ]

    def statement(self, filters: Filters, scope: Scope) -> Select[Any]:
        from app.assessments.models import Attempt
        from app.learning.models import Course, Enrollment, LearningPath, PathEnrollment

        parts = []
        if filters.path is None:
            best = (
                select(func.max(Attempt.score_percent))
                .where(Attempt.enrollment_id == Enrollment.id, Attempt.submitted_at.is_not(None))
                .scalar_subquery()
            )
            tries = (
                select(func.count(Attempt.id))
                .where(Attempt.enrollment_id == Enrollment.id, Attempt.submitted_at.is_not(None))
                .scalar_subquery()
            )
            enrolments = select(
                *person_columns(),
                literal("course").label("kind"),
                Course.title,
                Enrollment.completed_at,
                best.label("score"),
                tries.label("attempts"),
                Enrollment.id.label("row_id"),
            ).select_from(Enrollment)
            courses = (
                of_people(enrolments, filters, scope, user_id=Enrollment.user_id)
                .join(Course, Course.id == Enrollment.course_id)
                .where(
                    Enrollment.completed_at.is_not(None),
                    Enrollment.withdrawn_at.is_(None),
                    *in_dates(Enrollment.completed_at, filters),
                )
            )
            if filters.course is not None:
                courses = courses.where(Enrollment.course_id == filters.course)
            parts.append(courses)
        if filters.course is None:
            path_enrolments = select(
                *person_columns(),
                literal("path").label("kind"),
                LearningPath.title,
                PathEnrollment.completed_at,
                literal(None).label("score"),
                literal(None).label("attempts"),
                PathEnrollment.id.label("row_id"),
            ).select_from(PathEnrollment)
            paths = (
                of_people(path_enrolments, filters, scope, user_id=PathEnrollment.user_id)
                .join(LearningPath, LearningPath.id == PathEnrollment.path_id)
                .where(
                    PathEnrollment.completed_at.is_not(None),
                    PathEnrollment.withdrawn_at.is_(None),
                    *in_dates(PathEnrollment.completed_at, filters),
                )
            )
            if filters.path is not None:
                paths = paths.where(PathEnrollment.path_id == filters.path)
            parts.append(paths)
        union = (
            union_all(*parts).subquery("completions") if len(parts) > 1 else parts[0].subquery("completions")
        )
        return select(*[c for c in union.c if c.name != "row_id"]).order_by(
            union.c.completed_at.desc(), union.c.full_name, union.c.row_id
        )

    def shape(self, row: Any, zone: Any) -> list[Any]:
        cells = [cell(value, zone) for value in row]
        cells[4] = label("compliance_kind", row[4])
        return cells

    def export_cells(self, columns: list[Any], cells: SqlCells) -> list[Any]:
        out = [cells.cell(column) for column in columns]
        out[4] = cells.label(columns[4], LABELS["compliance_kind"])
        return out


class AssessmentAttempts(Report):
    key = "attempts"
    title = _l("Assessment attempts")
    description = _l(
        "Every attempt at a quiz: when it started and was submitted, its score and whether it passed."
    )
    filter_names = ("date_from", "date_to", "unit", "job_title", "group", "quiz", "status")
    statuses = (("passed", _l("Passed")), ("failed", _l("Not passed")), ("in_progress", _l("In progress")))

    def columns(self) -> list[Column]:
        return [
            Column("person", _l("Person")),
            Column("email", _l("Email")),
            Column("location", _l("Location")),
            Column("quiz", _l("Quiz")),
            Column("number", _l("Attempt")),
            Column("started_at", _l("Started")),
            Column("submitted_at", _l("Submitted")),
            Column("score", _l("Score (percent)")),
            Column("passed", _l("Passed")),
        ]

    def statement(self, filters: Filters, scope: Scope) -> Select[Any]:
        from app.assessments.models import Attempt, Quiz

        attempts = select(
            User.full_name,
            User.email,
            OrgUnit.name,
            Quiz.title,
            Attempt.number,
            Attempt.started_at,
            Attempt.submitted_at,
            Attempt.score_percent,
            Attempt.passed,
        ).select_from(Attempt)
        statement: Any = (
            of_people(attempts, filters, scope, user_id=Attempt.user_id)
            .join(Quiz, Quiz.id == Attempt.quiz_id)
            .where(*in_dates(Attempt.started_at, filters))
            .order_by(Attempt.started_at.desc(), Attempt.id.desc())
        )
        if filters.quiz is not None:
            statement = statement.where(Attempt.quiz_id == filters.quiz)
        if filters.status == "passed":
            statement = statement.where(Attempt.passed.is_(True))
        elif filters.status == "failed":
            statement = statement.where(
                Attempt.submitted_at.is_not(None), or_(Attempt.passed.is_(False), Attempt.passed.is_(None))
            )
        elif filters.status == "in_progress":
            statement = statement.where(Attempt.submitted_at.is_(None))
        return statement

    def shape(self, row: Any, zone: Any) -> list[Any]:
        cells = [cell(value, zone) for value in row]
        if row[6] is None:
            cells[8] = ""
        return cells

    def export_cells(self, columns: list[Any], cells: SqlCells) -> list[Any]:
        out = [cells.cell(column) for column in columns]
        out[8] = case((columns[6].is_(None), null()), else_=out[8])
        return out


class LessonDropOff(Report):
    key = "drop_off"
    title = _l("Drop-off per lesson")
    description = _l(
        "For one course: how many learners started and completed each lesson, and where they stopped."
    )
    filter_names = ("course", "date_from", "date_to", "unit", "job_title", "group")
    required_filters = ("course",)

    def columns(self) -> list[Column]:
        return [
            Column("order", _l("Order")),
            Column("lesson", _l("Lesson")),
            Column("started", _l("Learners started")),
            Column("completed", _l("Learners completed")),
            Column("stopped", _l("Learners who stopped here")),
            Column("share", _l("Share who stopped here (percent)")),
        ]

    def statement(self, filters: Filters, scope: Scope) -> Select[Any]:
        from app.learning.models import Course, Enrollment, Lesson, LessonProgress

        enrolments = of_people(
            select(Enrollment.id).select_from(Enrollment), filters, scope, user_id=Enrollment.user_id
        ).where(
            Enrollment.course_id == filters.course,
            Enrollment.withdrawn_at.is_(None),
            *in_dates(Enrollment.enrolled_at, filters),
        )
        # Each unfinished enrolment's furthest lesson reached: where that learner stopped.
        furthest = (
            select(LessonProgress.enrollment_id, func.max(Lesson.position).label("position"))
            .join(Lesson, Lesson.id == LessonProgress.lesson_id)
            .join(Enrollment, Enrollment.id == LessonProgress.enrollment_id)
            .where(LessonProgress.enrollment_id.in_(enrolments), Enrollment.completed_at.is_(None))
            .group_by(LessonProgress.enrollment_id)
            .subquery("furthest")
        )
        started = (
            select(func.count(func.distinct(LessonProgress.enrollment_id)))
            .where(LessonProgress.lesson_id == Lesson.id, LessonProgress.enrollment_id.in_(enrolments))
            .scalar_subquery()
        )
        completed = (
            select(func.count(func.distinct(LessonProgress.enrollment_id)))
            .where(
                LessonProgress.lesson_id == Lesson.id,
                LessonProgress.completed_at.is_not(None),
                LessonProgress.enrollment_id.in_(enrolments),
            )
            .scalar_subquery()
        )
        stopped = select(func.count()).where(furthest.c.position == Lesson.position).scalar_subquery()
        learners = (
            select(func.count(func.distinct(LessonProgress.enrollment_id)))
            .where(LessonProgress.enrollment_id.in_(enrolments))
            .scalar_subquery()
        )
        current = or_(
            Lesson.library_version_id.is_(None), Lesson.library_version_id == Course.library_version_id
        )
        return (
            select(Lesson.position, Lesson.title, started, completed, stopped, learners)
            .join(Course, Course.id == Lesson.course_id)
            .where(Lesson.course_id == filters.course, current)
            .order_by(Lesson.position, Lesson.id)
        )

    def shape(self, row: Any, zone: Any) -> list[Any]:
        position, title, started, completed, stopped, learners = row
        share = round(stopped * 100 / learners, 1) if learners else 0
        return [position + 1, title, started, completed, stopped, share]
