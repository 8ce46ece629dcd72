"""The built-in reports: one class each, with its filters, its columns and its rows streamed from SQL.

A report's rows come from one SELECT read ``yield_per`` rows at a time (the overdue report reads its
people in batches), so an export of any size holds one batch in memory. Every report is limited to
the people the viewer reaches (:func:`app.reports.scope.people_in_scope`), whatever the filters say.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any, ClassVar

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import ColumnElement, Select, and_, func, literal, or_, select, union_all

from app.accounts import org
from app.accounts.models import GroupMembership, OrgUnit, User, UserStatus
from app.extensions import db
from app.labels import label

#: Rows read from the database at a time while streaming.
BATCH = 500


@dataclass
class Filters:
    """The filter values of one run of a report (ids of the tenant's objects, dates, a status)."""

    date_from: date | None = None
    date_to: date | None = None
    unit: int | None = None
    job_title: str = ""
    group: int | None = None
    course: int | None = None
    path: int | None = None
    certification: int | None = None
    policy: int | None = None
    quiz: int | None = None
    status: str = ""

    def as_json(self) -> dict[str, Any]:
        """The chosen values only, dates as ISO strings (saved definitions, export records, audit)."""
        out: dict[str, Any] = {}
        for name, value in self.__dict__.items():
            if value in (None, ""):
                continue
            out[name] = value.isoformat() if isinstance(value, date) else value
        return out

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Filters:
        kept = dict(data or {})
        for name in ("date_from", "date_to"):
            if kept.get(name):
                kept[name] = date.fromisoformat(kept[name])
        return cls(**{k: v for k, v in kept.items() if k in cls.__dataclass_fields__})


@dataclass(frozen=True)
class Column:
    key: str
    label: Any


@dataclass
class Scope:
    """Whose rows a viewer sees: everyone of the tenant, or the people of a SELECT of ids."""

    people: Select[Any] | None = None  # None: everyone

    def where(self, user_id: Any) -> list[ColumnElement[bool]]:
        return [] if self.people is None else [user_id.in_(self.people)]


# ---------------------------------------------------------------- cells


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def cell(value: Any, zone: Any = None) -> Any:
    """A value as a report shows it: moments in the portal's time zone to the minute, dates ISO."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        moment = _aware(value)
        if zone is not None:
            moment = moment.astimezone(zone)
        return moment.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(value, float):
        return round(value, 1)
    return value


def _start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def _end(day: date) -> datetime:
    return datetime.combine(day, time.max, tzinfo=UTC)


def _in_dates(column: Any, filters: Filters) -> list[ColumnElement[bool]]:
    """The date range on a moment column, whole days (UTC) from the first to the last."""
    out: list[ColumnElement[bool]] = []
    if filters.date_from:
        out.append(column >= _start(filters.date_from))
    if filters.date_to:
        out.append(column <= _end(filters.date_to))
    return out


def people_criteria(user_id: Any, filters: Filters, scope: Scope) -> list[ColumnElement[bool]]:
    """SQL criteria on the ``users`` row joined for *user_id*: scope, unit subtree, job title, group."""
    criteria = [*scope.where(user_id)]
    if filters.unit is not None:
        criteria.append(User.org_unit_id.in_(org.subtree_select(filters.unit)))
    if filters.job_title:
        criteria.append(func.lower(User.job_title) == filters.job_title.strip().lower())
    if filters.group is not None:
        criteria.append(
            user_id.in_(select(GroupMembership.user_id).where(GroupMembership.group_id == filters.group))
        )
    return criteria


def _person_columns() -> list[Any]:
    return [User.full_name, User.email, OrgUnit.name, User.job_title]


# ---------------------------------------------------------------- the reports


class Report:
    """A built-in report; subclasses set the class attributes and write :meth:`statement`."""

    key: ClassVar[str]
    title: ClassVar[Any]
    description: ClassVar[Any]
    filter_names: ClassVar[tuple[str, ...]]
    statuses: ClassVar[tuple[tuple[str, Any], ...]] = ()
    required_filters: ClassVar[tuple[str, ...]] = ()

    def columns(self) -> list[Column]:
        raise NotImplementedError

    def statement(self, filters: Filters, scope: Scope) -> Select[Any]:
        raise NotImplementedError

    def shape(self, row: Any, zone: Any) -> list[Any]:
        """One result row as the report's cells."""
        return [cell(value, zone) for value in row]

    def rows(self, filters: Filters, scope: Scope, zone: Any = None) -> Iterator[list[Any]]:
        """Every row, read from the database *BATCH* at a time."""
        result = db.session.execute(self.statement(filters, scope).execution_options(yield_per=BATCH))
        for row in result:
            yield self.shape(row, zone)

    def count(self, filters: Filters, scope: Scope) -> int:
        return (
            db.session.scalar(select(func.count()).select_from(self.statement(filters, scope).subquery()))
            or 0
        )

    def page(
        self, filters: Filters, scope: Scope, page: int, per_page: int, zone: Any = None
    ) -> list[list[Any]]:
        statement = self.statement(filters, scope).limit(per_page).offset((page - 1) * per_page)
        return [self.shape(row, zone) for row in db.session.execute(statement)]


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
            courses = (
                select(
                    *_person_columns(),
                    literal("course").label("kind"),
                    Course.title,
                    Enrollment.completed_at,
                    best.label("score"),
                    tries.label("attempts"),
                    Enrollment.id.label("row_id"),
                )
                .select_from(Enrollment)
                .join(User, User.id == Enrollment.user_id)
                .outerjoin(OrgUnit, OrgUnit.id == User.org_unit_id)
                .join(Course, Course.id == Enrollment.course_id)
                .where(
                    Enrollment.completed_at.is_not(None),
                    Enrollment.withdrawn_at.is_(None),
                    *people_criteria(Enrollment.user_id, filters, scope),
                    *_in_dates(Enrollment.completed_at, filters),
                )
            )
            if filters.course is not None:
                courses = courses.where(Enrollment.course_id == filters.course)
            parts.append(courses)
        if filters.course is None:
            paths = (
                select(
                    *_person_columns(),
                    literal("path").label("kind"),
                    LearningPath.title,
                    PathEnrollment.completed_at,
                    literal(None).label("score"),
                    literal(None).label("attempts"),
                    PathEnrollment.id.label("row_id"),
                )
                .select_from(PathEnrollment)
                .join(User, User.id == PathEnrollment.user_id)
                .outerjoin(OrgUnit, OrgUnit.id == User.org_unit_id)
                .join(LearningPath, LearningPath.id == PathEnrollment.path_id)
                .where(
                    PathEnrollment.completed_at.is_not(None),
                    PathEnrollment.withdrawn_at.is_(None),
                    *people_criteria(PathEnrollment.user_id, filters, scope),
                    *_in_dates(PathEnrollment.completed_at, filters),
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


class CertificationStatus(Report):
    key = "certifications"
    title = _l("Certification status and expiries")
    description = _l(
        "Each person's certifications: where they stand, when they were awarded and when they expire."
    )
    filter_names = ("date_from", "date_to", "unit", "job_title", "group", "certification", "status")
    statuses = (
        ("in_progress", _l("In progress")),
        ("certified", _l("Certified")),
        ("expiring", _l("Expiring")),
        ("expired", _l("Expired")),
        ("revoked", _l("Revoked")),
    )

    def columns(self) -> list[Column]:
        return [
            Column("person", _l("Person")),
            Column("email", _l("Email")),
            Column("location", _l("Location")),
            Column("job_title", _l("Job title")),
            Column("certification", _l("Certification")),
            Column("state", _l("State")),
            Column("awarded_at", _l("Awarded")),
            Column("expires_at", _l("Expires")),
        ]

    def statement(self, filters: Filters, scope: Scope) -> Select[Any]:
        from app.certifications.models import Certification, CertificationRecord

        statement = (
            select(
                *_person_columns(),
                Certification.title,
                CertificationRecord.state,
                CertificationRecord.awarded_at,
                CertificationRecord.expires_at,
            )
            .select_from(CertificationRecord)
            .join(User, User.id == CertificationRecord.user_id)
            .outerjoin(OrgUnit, OrgUnit.id == User.org_unit_id)
            .join(Certification, Certification.id == CertificationRecord.certification_id)
            .where(
                CertificationRecord.state != "not_started",
                *people_criteria(CertificationRecord.user_id, filters, scope),
                *_in_dates(CertificationRecord.expires_at, filters),
            )
            .order_by(CertificationRecord.expires_at, User.full_name, CertificationRecord.id)
        )
        if filters.certification is not None:
            statement = statement.where(CertificationRecord.certification_id == filters.certification)
        if filters.status:
            statement = statement.where(CertificationRecord.state == filters.status)
        return statement

    def shape(self, row: Any, zone: Any) -> list[Any]:
        cells = [cell(value, zone) for value in row]
        cells[5] = label("certification_state", row[5])
        return cells


class PolicyAcceptance(Report):
    key = "policies"
    title = _l("Policy acceptance per version")
    description = _l("For every published version of a policy, who it applies to and when they accepted it.")
    filter_names = ("date_from", "date_to", "unit", "job_title", "group", "policy", "status")
    statuses = (("accepted", _l("Accepted")), ("not_accepted", _l("Not accepted")))

    def columns(self) -> list[Column]:
        return [
            Column("person", _l("Person")),
            Column("email", _l("Email")),
            Column("location", _l("Location")),
            Column("job_title", _l("Job title")),
            Column("policy", _l("Policy")),
            Column("version", _l("Version")),
            Column("accepted_at", _l("Accepted at")),
        ]

    def statement(self, filters: Filters, scope: Scope) -> Select[Any]:
        from sqlalchemy.orm import selectinload

        from app.policies.models import Acknowledgement, Policy, PolicyVersion
        from app.policies.reports import _audience_criteria  # the one definition of a policy's audience

        wanted = select(Policy).where(Policy.status != "draft").options(selectinload(Policy.audiences))
        if filters.policy is not None:
            wanted = wanted.where(Policy.id == filters.policy)
        parts = []
        for policy in db.session.scalars(wanted.order_by(Policy.title, Policy.id)):
            accepted = (
                select(func.min(Acknowledgement.acknowledged_at))
                .where(Acknowledgement.user_id == User.id, Acknowledgement.version_id == PolicyVersion.id)
                .scalar_subquery()
            )
            part = (
                select(
                    *_person_columns(),
                    Policy.title.label("policy"),
                    PolicyVersion.number,
                    accepted.label("accepted_at"),
                    User.id.label("user_id"),
                )
                .select_from(User)
                .outerjoin(OrgUnit, OrgUnit.id == User.org_unit_id)
                .join(
                    PolicyVersion,
                    and_(PolicyVersion.policy_id == policy.id, PolicyVersion.published_at.is_not(None)),
                )
                .join(Policy, Policy.id == PolicyVersion.policy_id)
                .where(*_audience_criteria(policy), *people_criteria(User.id, filters, scope))
            )
            parts.append(part)
        if not parts:
            return select(*_person_columns(), literal(None), literal(None), literal(None)).where(
                literal(False)
            )
        rows = (union_all(*parts) if len(parts) > 1 else parts[0]).subquery("acceptance")
        statement = select(*[c for c in rows.c if c.name != "user_id"]).order_by(
            rows.c.policy, rows.c.number.desc(), rows.c.full_name, rows.c.user_id
        )
        if filters.status == "accepted":
            statement = statement.where(rows.c.accepted_at.is_not(None))
        elif filters.status == "not_accepted":
            statement = statement.where(rows.c.accepted_at.is_(None))
        if filters.date_from or filters.date_to:
            statement = statement.where(*_in_dates(rows.c.accepted_at, filters))
        return statement

    def shape(self, row: Any, zone: Any) -> list[Any]:
        cells = [cell(value, zone) for value in row]
        if row[6] is None:
            cells[6] = _("not accepted")
        return cells


class OverdueItems(Report):
    key = "overdue"
    title = _l("Overdue items")
    description = _l("Required training, certifications, policies and checkpoints by status, overdue first.")
    filter_names = ("date_from", "date_to", "unit", "job_title", "group", "status")

    @property
    def statuses(self) -> tuple[tuple[str, Any], ...]:  # type: ignore[override]
        from app.compliance.status import Status

        return tuple((s.value, label("compliance_status", s.value)) for s in Status)

    def columns(self) -> list[Column]:
        return [
            Column("person", _l("Person")),
            Column("email", _l("Email")),
            Column("location", _l("Location")),
            Column("item", _l("Item")),
            Column("kind", _l("Kind")),
            Column("due", _l("Due or expires")),
            Column("status", _l("Status")),
        ]

    def statement(self, filters: Filters, scope: Scope) -> Select[Any]:
        statement: Any = (
            select(User.id, User.full_name, User.email, OrgUnit.name)
            .outerjoin(OrgUnit, OrgUnit.id == User.org_unit_id)
            .where(User.status == UserStatus.active.value, *people_criteria(User.id, filters, scope))
            .order_by(User.full_name, User.id)
        )
        return statement

    def _items(self, filters: Filters, scope: Scope) -> Iterator[list[Any]]:
        from app.compliance.status import for_people

        wanted = filters.status or "overdue"
        result = db.session.execute(self.statement(filters, scope).execution_options(yield_per=BATCH))
        for batch in result.partitions():
            people = {row[0]: row for row in batch}
            standing = for_people(list(people))
            for user_id, (_id, name, email, unit) in people.items():
                for item in standing[user_id].items:
                    when = item.due_on or item.expires_on
                    if item.status.value != wanted:
                        continue
                    if filters.date_from and (when is None or when < filters.date_from):
                        continue
                    if filters.date_to and (when is None or when > filters.date_to):
                        continue
                    yield [
                        name,
                        email or "",
                        unit or "",
                        item.title,
                        label("compliance_kind", item.kind.value),
                        cell(when),
                        label("compliance_status", item.status.value),
                    ]

    def rows(self, filters: Filters, scope: Scope, zone: Any = None) -> Iterator[list[Any]]:
        yield from self._items(filters, scope)

    def count(self, filters: Filters, scope: Scope) -> int:
        return sum(1 for _row in self._items(filters, scope))

    def page(
        self, filters: Filters, scope: Scope, page: int, per_page: int, zone: Any = None
    ) -> list[list[Any]]:
        start = (page - 1) * per_page
        out = []
        for index, row in enumerate(self._items(filters, scope)):
            if index >= start + per_page:
                break
            if index >= start:
                out.append(row)
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

        statement: Any = (
            select(
                User.full_name,
                User.email,
                OrgUnit.name,
                Quiz.title,
                Attempt.number,
                Attempt.started_at,
                Attempt.submitted_at,
                Attempt.score_percent,
                Attempt.passed,
            )
            .select_from(Attempt)
            .join(User, User.id == Attempt.user_id)
            .outerjoin(OrgUnit, OrgUnit.id == User.org_unit_id)
            .join(Quiz, Quiz.id == Attempt.quiz_id)
            .where(*people_criteria(Attempt.user_id, filters, scope), *_in_dates(Attempt.started_at, filters))
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

        enrolments = (
            select(Enrollment.id)
            .join(User, User.id == Enrollment.user_id)
            .where(
                Enrollment.course_id == filters.course,
                Enrollment.withdrawn_at.is_(None),
                *people_criteria(Enrollment.user_id, filters, scope),
                *_in_dates(Enrollment.enrolled_at, filters),
            )
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


REPORTS: dict[str, Report] = {
    report.key: report
    for report in (
        Completions(),
        CertificationStatus(),
        PolicyAcceptance(),
        OverdueItems(),
        AssessmentAttempts(),
        LessonDropOff(),
    )
}


def get_report(key: str) -> Report | None:
    return REPORTS.get(key)
