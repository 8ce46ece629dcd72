"""The compliance model: what each person is required to do, how each item stands, and who is compliant.

"Required" for a person is their assigned courses and learning paths (with a due date, or assigned
rather than chosen), the certifications that apply to them (started or not yet, with expiry), the
policies they must accept and their open practical checkpoints. Everything is read for a whole set of
people at once, in a fixed number of statements whatever the number of people or items.

Dates are compared with *today* in the portal's time zone (:func:`portal_today`); an expiry moment
(stored in UTC) counts on the portal's calendar day it falls on.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from sqlalchemy import ARRAY, Integer, Select, and_, any_, bindparam, exists, or_, select

from app.accounts.models import User
from app.compliance.statements import IDS, cached, ids_in
from app.extensions import db
from app.timezones import is_usable_zone

if TYPE_CHECKING:
    from app.compliance.audiences import Requirements

#: Items due within this many days are "due soon"; certifications expiring within it are "expiring".
DUE_SOON_DAYS = 14


class Status(enum.StrEnum):
    """How one required item stands; the members are in order of urgency, worst first."""

    overdue = "overdue"
    expired = "expired"
    expiring = "expiring"
    due_soon = "due_soon"
    not_started = "not_started"
    in_progress = "in_progress"
    done = "done"

    @property
    def rank(self) -> int:
        return _RANK[self]

    @property
    def breaks_compliance(self) -> bool:
        return self in (Status.overdue, Status.expired)


_RANK = {status: position for position, status in enumerate(Status)}


class Kind(enum.StrEnum):
    course = "course"
    path = "path"
    certification = "certification"
    policy = "policy"
    checkpoint = "checkpoint"


@dataclass(frozen=True)
class Item:
    """One required thing of one person, with its status and the dates it is read with."""

    kind: Kind
    ref_id: int  # the enrolment, path enrolment, certification record, policy or checkpoint lesson
    title: str
    status: Status
    due_on: date | None = None
    expires_on: date | None = None
    completed_on: date | None = None
    enrollment_id: int | None = None  # courses and checkpoints: the enrolment (for extending, signing off)

    @property
    def key(self) -> str:
        """What the dashboard's item filter names: the same course or policy for everyone."""
        return f"{self.kind.value}:{self.title}"


@dataclass
class PersonCompliance:
    user_id: int
    items: list[Item] = field(default_factory=list)

    @property
    def worst_status(self) -> Status | None:
        """The most urgent status of the person's items (None: nothing required)."""
        return min((item.status for item in self.items), key=lambda s: s.rank, default=None)

    @property
    def urgency(self) -> tuple[bool, int]:
        """Sorts people worst first: out of compliance, then by most urgent item; nothing required last."""
        worst = self.worst_status
        return (self.compliant, worst.rank if worst is not None else len(Status))

    @property
    def compliant(self) -> bool:
        """Nothing required is overdue or expired."""
        return not any(item.status.breaks_compliance for item in self.items)

    def count(self, status: Status) -> int:
        return sum(1 for item in self.items if item.status == status)


@dataclass(frozen=True)
class Summary:
    people: int
    compliant: int
    overdue_people: int  # people with at least one overdue item
    expired_people: int
    expiring_people: int
    items: dict[Status, int]  # items of each status

    @property
    def percent(self) -> int:
        """The compliant share of the people, rounded down (100 for nobody: nothing is out of compliance)."""
        return 100 if not self.people else self.compliant * 100 // self.people


# ---------------------------------------------------------------- time


def portal_zone(tenant: Any = None) -> ZoneInfo:
    """The time zone of the portal (*tenant*, or the one in context); UTC when it has none that loads."""
    if tenant is None:
        from flask import g, has_app_context

        tenant = g.get("tenant") if has_app_context() else None
        if tenant is None:
            from app.tenancy.context import current_tenant_id
            from app.tenancy.models import Tenant

            tenant_id = current_tenant_id()
            tenant = db.session.get(Tenant, tenant_id) if tenant_id is not None else None
    name = getattr(tenant, "time_zone", None)
    return ZoneInfo(name) if name and is_usable_zone(name) else ZoneInfo("UTC")


def portal_today(tenant: Any = None, now: datetime | None = None) -> date:
    """Today's date where the portal is."""
    return (now or datetime.now(UTC)).astimezone(portal_zone(tenant)).date()


def _local_date(moment: datetime | None, zone: ZoneInfo) -> date | None:
    if moment is None:
        return None
    if moment.tzinfo is None:  # SQLite hands back what was stored in UTC without its zone
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(zone).date()


# ---------------------------------------------------------------- statuses


def status_by_due_date(
    *, done: bool, started: bool, due_on: date | None, today: date, due_soon_days: int = DUE_SOON_DAYS
) -> Status:
    """The status of a course, path, policy or checkpoint: done, then by its due date, then by progress."""
    if done:
        return Status.done
    if due_on is not None:
        if due_on < today:
            return Status.overdue
        if (due_on - today).days <= due_soon_days:
            return Status.due_soon
    return Status.in_progress if started else Status.not_started


def certification_status(
    *,
    state: str,
    expires_on: date | None,
    lapses_on: date | None,
    today: date,
    due_soon_days: int = DUE_SOON_DAYS,
) -> Status:
    """The status of a certification record: the clock wins over a state the nightly sweep has not moved yet.

    *expires_on* is the day it expires, *lapses_on* the day the grace period ends (the same without one):
    from that day on it is expired.
    """
    if state in ("expired", "revoked"):
        return Status.expired
    if state in ("certified", "expiring"):
        if lapses_on is not None and today >= lapses_on:
            return Status.expired
        if state == "expiring" or (expires_on is not None and (expires_on - today).days <= due_soon_days):
            return Status.expiring
        return Status.done
    return Status.in_progress if state == "in_progress" else Status.not_started


# ---------------------------------------------------------------- reading the items


IdSource = Collection[int] | Select[Any]


def _in(column: Any, ids: IdSource) -> Any:
    """*column* is one of *ids*: on PostgreSQL one array parameter, elsewhere an ``IN`` list.

    A team's hundreds of ids as as many parameters make every statement text new to the driver, which
    parses it again (tens of milliseconds a page on PostgreSQL); one array keeps the text the same.
    """
    if isinstance(ids, Select):
        return column.in_(ids)
    listed = sorted(ids)
    if db.session.get_bind().dialect.name == "postgresql":
        return column == any_(bindparam(None, listed, type_=ARRAY(Integer)))
    return column.in_(listed)


def _statement(name: str, build: Callable[[Any], Any], ids: IdSource) -> tuple[Any, dict[str, Any]]:
    """The SELECT *build* makes of a WHERE clause's maker for the people *ids*, and its parameters: for a
    collection of ids, built once and kept (:mod:`app.compliance.statements`), the ids bound at execution."""
    if isinstance(ids, Select):
        return build(lambda column: column.in_(ids)), {}
    return cached((name,), lambda: build(ids_in)), {IDS: sorted(ids)}


def _courses_select(within: Callable[[Any], Any]) -> Any:
    from app.learning.models import Course, Enrollment

    required = or_(Enrollment.due_on.is_not(None), Enrollment.source.in_(("manual", "rule", "manager")))
    return (
        select(
            Enrollment.id,
            Enrollment.user_id,
            Course.title,
            Enrollment.due_on,
            Enrollment.started_at,
            Enrollment.progress_percent,
            Enrollment.completed_at,
        )
        .join(Course, Course.id == Enrollment.course_id)
        .where(within(Enrollment.user_id), Enrollment.withdrawn_at.is_(None), required)
    )


def _courses(ids: IdSource, today: date, soon: int, zone: ZoneInfo) -> Iterable[tuple[int, Item]]:
    statement, parameters = _statement("page courses", _courses_select, ids)
    for enrollment_id, user_id, title, due_on, started_at, percent, completed_at in db.session.execute(
        statement, parameters
    ):
        status = status_by_due_date(
            done=completed_at is not None,
            started=started_at is not None or bool(percent),
            due_on=due_on,
            today=today,
            due_soon_days=soon,
        )
        yield (
            user_id,
            Item(
                Kind.course,
                enrollment_id,
                title,
                status,
                due_on=due_on,
                completed_on=_local_date(completed_at, zone),
                enrollment_id=enrollment_id,
            ),
        )


def _paths_select(within: Callable[[Any], Any]) -> Any:
    from app.learning.models import Enrollment, LearningPath, PathEnrollment

    started = exists().where(
        Enrollment.path_enrollment_id == PathEnrollment.id,
        or_(Enrollment.started_at.is_not(None), Enrollment.progress_percent > 0),
    )
    required = or_(
        PathEnrollment.due_on.is_not(None), PathEnrollment.source.in_(("manual", "rule", "manager"))
    )
    return (
        select(
            PathEnrollment.id,
            PathEnrollment.user_id,
            LearningPath.title,
            PathEnrollment.due_on,
            started,
            PathEnrollment.completed_at,
        )
        .join(LearningPath, LearningPath.id == PathEnrollment.path_id)
        .where(within(PathEnrollment.user_id), PathEnrollment.withdrawn_at.is_(None), required)
    )


def _paths(ids: IdSource, today: date, soon: int, zone: ZoneInfo) -> Iterable[tuple[int, Item]]:
    statement, parameters = _statement("page paths", _paths_select, ids)
    rows = db.session.execute(statement, parameters)
    for path_enrollment_id, user_id, title, due_on, has_started, completed_at in rows:
        status = status_by_due_date(
            done=completed_at is not None,
            started=bool(has_started),
            due_on=due_on,
            today=today,
            due_soon_days=soon,
        )
        yield (
            user_id,
            Item(
                Kind.path,
                path_enrollment_id,
                title,
                status,
                due_on=due_on,
                completed_on=_local_date(completed_at, zone),
            ),
        )


def _certifications_select(within: Callable[[Any], Any]) -> Any:
    from app.certifications.models import Certification, CertificationRecord

    return (
        select(
            CertificationRecord.id,
            CertificationRecord.user_id,
            Certification.title,
            CertificationRecord.state,
            CertificationRecord.expires_at,
            CertificationRecord.grace_until,
            CertificationRecord.awarded_at,
        )
        .join(Certification, Certification.id == CertificationRecord.certification_id)
        .where(within(CertificationRecord.user_id), CertificationRecord.state != "not_started")
    )


def _certifications(ids: IdSource, today: date, soon: int, zone: ZoneInfo) -> Iterable[tuple[int, Item]]:
    """Each person's certification records (started or further)."""
    statement, parameters = _statement("page certifications", _certifications_select, ids)
    rows = db.session.execute(statement, parameters)
    for record_id, user_id, title, state, expires_at, grace_until, awarded_at in rows:
        expires_on = _local_date(expires_at, zone)
        lapses_on = _local_date(grace_until or expires_at, zone)
        status = certification_status(
            state=state, expires_on=expires_on, lapses_on=lapses_on, today=today, due_soon_days=soon
        )
        yield (
            user_id,
            Item(
                Kind.certification,
                record_id,
                title,
                status,
                expires_on=expires_on,
                completed_on=_local_date(awarded_at, zone),
            ),
        )


def _by_audience(
    ids: IdSource, today: date, soon: int, requirements: Requirements | None
) -> Iterable[tuple[int, Item]]:
    """The policies each person must accept (accepted or not), and the certifications that apply to them
    that they have not started, as items (:mod:`app.compliance.audiences`)."""
    from app.compliance.audiences import load_requirements

    required = requirements or load_requirements()
    parameters: dict[str, Any] = {}
    if isinstance(ids, Select):
        policies, not_started = required.rows(lambda column: _in(column, ids))
    else:
        policies, not_started = required.rows_of_ids()
        parameters = {IDS: sorted(ids)}
    if policies is not None:
        for user_id, policy_id, title, accepted, due_on in db.session.execute(policies, parameters):
            status = status_by_due_date(
                done=bool(accepted), started=False, due_on=due_on, today=today, due_soon_days=soon
            )
            yield user_id, Item(Kind.policy, policy_id, title, status, due_on=None if accepted else due_on)
    if not_started is not None:
        for user_id, cert_id, title in db.session.execute(not_started, parameters):
            yield user_id, Item(Kind.certification, cert_id, title, Status.not_started)


def start_of_day_utc(day: date, zone: Any) -> datetime:
    """Midnight of *day* in *zone*, as a UTC instant."""
    return datetime.combine(day, time(), zone).astimezone(UTC)


def open_checkpoint_clauses() -> list[Any]:
    """Where-clauses, over Enrollment joined to Course and Lesson, of a checkpoint nobody has signed off yet
    in a course the person is still taking."""
    from app.assessments.models import CheckpointSignoff
    from app.learning.models import Course, Enrollment, Lesson

    signed = exists().where(
        CheckpointSignoff.enrollment_id == Enrollment.id, CheckpointSignoff.lesson_id == Lesson.id
    )
    # A library course's learner takes the lessons of the version they are pinned to; a tenant course's, all.
    pinned = or_(
        Course.deployment_id.is_(None),
        Lesson.library_version_id == Enrollment.library_version_id,
        and_(Lesson.library_version_id.is_(None), Enrollment.library_version_id.is_(None)),
    )
    return [
        Lesson.kind == "checkpoint",
        Enrollment.withdrawn_at.is_(None),
        Enrollment.completed_at.is_(None),
        pinned,
        ~signed,
    ]


def _checkpoints_select(within: Callable[[Any], Any]) -> Any:
    from app.learning.models import Course, Enrollment, Lesson

    return (
        select(Lesson.id, Enrollment.id, Enrollment.user_id, Lesson.title, Course.title, Enrollment.due_on)
        .join(Course, Course.id == Enrollment.course_id)
        .join(Lesson, Lesson.course_id == Course.id)
        .where(within(Enrollment.user_id), *open_checkpoint_clauses())
    )


def _checkpoints(ids: IdSource, today: date, soon: int) -> Iterable[tuple[int, Item]]:
    """Practical checkpoints of courses a person is still taking that nobody has signed off yet."""
    statement, parameters = _statement("page checkpoints", _checkpoints_select, ids)
    rows = db.session.execute(statement, parameters)
    for lesson_id, enrollment_id, user_id, lesson_title, course_title, due_on in rows:
        status = status_by_due_date(done=False, started=False, due_on=due_on, today=today, due_soon_days=soon)
        yield (
            user_id,
            Item(
                Kind.checkpoint,
                lesson_id,
                f"{course_title}: {lesson_title}",
                status,
                due_on=due_on,
                enrollment_id=enrollment_id,
            ),
        )


def for_people(
    user_ids: IdSource,
    today: date | None = None,
    *,
    due_soon_days: int = DUE_SOON_DAYS,
    tenant: Any = None,
    requirements: Requirements | None = None,
) -> dict[int, PersonCompliance]:
    """Each person's required items and standing, worst item first, in a fixed number of statements.

    *user_ids* is a collection of ids or a SELECT of them (a manager's reach, a unit's people).
    *requirements*: the policies and certifications required by audience, when already read.
    """
    zone = portal_zone(tenant)
    today = today or portal_today(tenant)
    if not isinstance(user_ids, Select) and not user_ids:
        return {}
    result: dict[int, PersonCompliance] = {}
    if not isinstance(user_ids, Select):
        result = {user_id: PersonCompliance(user_id) for user_id in user_ids}
    sources: list[Iterable[tuple[int, Item]]] = [
        _courses(user_ids, today, due_soon_days, zone),
        _paths(user_ids, today, due_soon_days, zone),
        _certifications(user_ids, today, due_soon_days, zone),
        _by_audience(user_ids, today, due_soon_days, requirements),
        _checkpoints(user_ids, today, due_soon_days),
    ]
    for source in sources:
        for user_id, item in source:
            result.setdefault(user_id, PersonCompliance(user_id)).items.append(item)
    for person in result.values():
        person.items.sort(key=lambda i: (i.status.rank, i.due_on or i.expires_on or date.max, i.title))
    return result


def summarise(people: Iterable[PersonCompliance]) -> Summary:
    """Counts over *people*: how many are compliant, overdue, expired, expiring, and items of each status."""
    listed = list(people)
    items = {status: 0 for status in Status}
    for person in listed:
        for item in person.items:
            items[item.status] += 1
    return Summary(
        people=len(listed),
        compliant=sum(1 for p in listed if p.compliant),
        overdue_people=sum(1 for p in listed if p.count(Status.overdue)),
        expired_people=sum(1 for p in listed if p.count(Status.expired)),
        expiring_people=sum(1 for p in listed if p.count(Status.expiring)),
        items=items,
    )


def unit_people_select(org_unit_id: int) -> Select[Any]:
    """A SELECT of the ids of the active people of unit *org_unit_id* and every unit below it."""
    from app.accounts import org
    from app.accounts.models import UserStatus

    return select(User.id).where(
        User.org_unit_id.in_(org.subtree_select(org_unit_id)), User.status == UserStatus.active.value
    )


def summary(
    org_unit_id: int | None = None,
    *,
    manager: User | None = None,
    today: date | None = None,
    due_soon_days: int = DUE_SOON_DAYS,
) -> Summary:
    """Compliance counts of a location's subtree (*org_unit_id*) or of a manager's reach."""
    from app.accounts import org

    if (org_unit_id is None) == (manager is None):
        raise TypeError("summary() takes an org unit or a manager")
    if org_unit_id is not None:
        ids = set(db.session.scalars(unit_people_select(org_unit_id)))
    else:
        assert manager is not None
        ids = org.reach_ids(manager)
    return summarise(for_people(ids, today, due_soon_days=due_soon_days).values())
