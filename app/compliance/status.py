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

from sqlalchemy import (
    ARRAY,
    Boolean,
    Date,
    DateTime,
    Integer,
    Select,
    String,
    and_,
    any_,
    bindparam,
    cast,
    exists,
    literal_column,
    null,
    or_,
    select,
    true,
    type_coerce,
    union_all,
)

from app.accounts.models import User
from app.compliance.statements import IDS, dialect_name, ids_in, rows
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


#: The item sources of the SELECT of everyone's items, in the order their items are listed before sorting.
_SOURCES = ("course", "path", "certification", "policy", "certification_not_started", "checkpoint")


def _columns(source: str, user_id: Any, ref_id: Any, title: Any, **given: Any) -> list[Any]:
    """A row of the SELECT of every item (see :func:`_items_select`), typed NULL where *source* has none.

    (source, user_id, ref_id, title, due_on, flag: started or accepted, first/second/third: moments the
    source reads, state, number: an enrolment id)
    """
    # The moments are read as the driver hands them back, not through UtcDateTime's conversion of every
    # value (three a row): _local_date takes a naive one (SQLite's) as the UTC it was stored in.
    moment = DateTime(timezone=True)
    types: dict[str, Any] = {
        "due_on": Date(),
        "flag": Boolean(),
        "first": moment,
        "second": moment,
        "third": moment,
        "state": String(),
        "number": Integer(),
    }
    return [
        literal_column(f"'{source}'", String).label("source"),
        user_id.label("user_id"),
        ref_id.label("ref_id"),
        title.label("title"),
        *(
            (type_coerce(given[name], kind) if kind is moment else given[name]).label(name)
            if name in given
            else cast(null(), kind).label(name)
            for name, kind in types.items()
        ),
    ]


def _items_select(within: Callable[[Any], Any], requirements: Requirements, open_only: bool = False) -> Any:
    """One SELECT of every item of the people *within* narrows to (a ``UNION ALL`` of a SELECT per
    source: a page's people's items in one statement, not six); *open_only*: without the courses,
    learning paths and policies already done."""
    from app.certifications.models import Certification, CertificationRecord
    from app.learning.models import Course, Enrollment, LearningPath, Lesson, PathEnrollment

    course: Any = Course
    joined: Any = Course.id == Enrollment.course_id
    if open_only and dialect_name() == "postgresql":
        # A page's few people: each enrolment's course is found by its key. Joined, PostgreSQL hashes
        # every course of the tenant (10,000 of them: most of the statement's time) for a few hundred
        # enrolments; a LATERAL subquery with OFFSET 0 (not flattened) makes it an index probe per row.
        course = select(Course.title).where(Course.id == Enrollment.course_id).offset(0).lateral("course")
        joined = true()
    courses = (
        select(
            *_columns(
                "course",
                Enrollment.user_id,
                Enrollment.id,
                course.title if course is Course else course.c.title,
                due_on=Enrollment.due_on,
                flag=or_(Enrollment.started_at.is_not(None), Enrollment.progress_percent != 0),
                first=Enrollment.completed_at,
                number=Enrollment.id,
            )
        )
        .join(course, joined)
        .where(
            within(Enrollment.user_id),
            Enrollment.withdrawn_at.is_(None),
            or_(Enrollment.due_on.is_not(None), Enrollment.source.in_(("manual", "rule", "manager"))),
            *([Enrollment.completed_at.is_(None)] if open_only else []),
        )
    )
    path_started = exists().where(
        Enrollment.path_enrollment_id == PathEnrollment.id,
        or_(Enrollment.started_at.is_not(None), Enrollment.progress_percent > 0),
    )
    paths = (
        select(
            *_columns(
                "path",
                PathEnrollment.user_id,
                PathEnrollment.id,
                LearningPath.title,
                due_on=PathEnrollment.due_on,
                flag=path_started,
                first=PathEnrollment.completed_at,
            )
        )
        .join(LearningPath, LearningPath.id == PathEnrollment.path_id)
        .where(
            within(PathEnrollment.user_id),
            PathEnrollment.withdrawn_at.is_(None),
            or_(PathEnrollment.due_on.is_not(None), PathEnrollment.source.in_(("manual", "rule", "manager"))),
            *([PathEnrollment.completed_at.is_(None)] if open_only else []),
        )
    )
    record = CertificationRecord
    certifications = (
        select(
            *_columns(
                "certification",
                record.user_id,
                record.id,
                Certification.title,
                state=record.state,
                first=record.expires_at,
                second=record.grace_until,
                third=record.awarded_at,
            )
        )
        .join(Certification, Certification.id == record.certification_id)
        .where(within(record.user_id), record.state != "not_started")
    )
    parts = [courses, paths, certifications]
    policies, not_started = requirements.rows(within)
    if policies is not None:
        found = policies.subquery("policies")
        parts.append(
            select(
                *_columns(
                    "policy",
                    found.c.user_id,
                    found.c.ref_id,
                    found.c.title,
                    due_on=found.c.due_on,
                    flag=found.c.accepted,
                )
            ).where(*([~found.c.accepted] if open_only else []))
        )
    if not_started is not None:
        found = not_started.subquery("not_started")
        parts.append(
            select(*_columns("certification_not_started", found.c.user_id, found.c.ref_id, found.c.title))
        )
    parts.append(
        select(
            *_columns(
                "checkpoint",
                Enrollment.user_id,
                Lesson.id,
                Course.title + literal_column("': '", String) + Lesson.title,
                due_on=Enrollment.due_on,
                number=Enrollment.id,
            )
        )
        .join(Course, Course.id == Enrollment.course_id)
        .join(Lesson, Lesson.course_id == Course.id)
        .where(within(Enrollment.user_id), *open_checkpoint_clauses())
    )
    return union_all(*parts)


def _item(row: Any, today: date, soon: int, zone: ZoneInfo) -> Item:
    """The item a row of :func:`_items_select` is, with its status on *today*."""
    source, _user_id, ref_id, title, due_on, flag, first, second, third, state, number = row
    if source == "course" or source == "path":
        status = status_by_due_date(
            done=first is not None, started=bool(flag), due_on=due_on, today=today, due_soon_days=soon
        )
        completed_on = None if first is None else _local_date(first, zone)
        if source == "path":
            return Item(Kind.path, ref_id, title, status, due_on=due_on, completed_on=completed_on)
        return Item(
            Kind.course, ref_id, title, status, due_on=due_on, completed_on=completed_on, enrollment_id=number
        )
    if source == "certification":
        expires_on = _local_date(first, zone)
        status = certification_status(
            state=state,
            expires_on=expires_on,
            lapses_on=_local_date(second or first, zone),
            today=today,
            due_soon_days=soon,
        )
        return Item(
            Kind.certification,
            ref_id,
            title,
            status,
            expires_on=expires_on,
            completed_on=_local_date(third, zone),
        )
    if source == "policy":
        status = status_by_due_date(
            done=bool(flag), started=False, due_on=due_on, today=today, due_soon_days=soon
        )
        return Item(Kind.policy, ref_id, title, status, due_on=None if flag else due_on)
    if source == "certification_not_started":
        return Item(Kind.certification, ref_id, title, Status.not_started)
    status = status_by_due_date(done=False, started=False, due_on=due_on, today=today, due_soon_days=soon)
    return Item(Kind.checkpoint, ref_id, title, status, due_on=due_on, enrollment_id=number)


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


def for_people(
    user_ids: IdSource,
    today: date | None = None,
    *,
    due_soon_days: int = DUE_SOON_DAYS,
    tenant: Any = None,
    requirements: Requirements | None = None,
    open_only: bool = False,
) -> dict[int, PersonCompliance]:
    """Each person's required items and standing, worst item first, in a fixed number of statements.

    *user_ids* is a collection of ids or a SELECT of them (a manager's reach, a unit's people).
    *requirements*: the policies and certifications required by audience, when already read.
    *open_only*: leave out the courses, learning paths and policies done (read and built for nothing
    when the caller counts them elsewhere, as the dashboard does from the ranking); a standing read so
    is not the person's whole one.
    """
    zone = portal_zone(tenant)
    today = today or portal_today(tenant)
    if not isinstance(user_ids, Select) and not user_ids:
        return {}
    result: dict[int, PersonCompliance] = {}
    if not isinstance(user_ids, Select):
        result = {user_id: PersonCompliance(user_id) for user_id in user_ids}
    required = requirements
    if required is None:
        from app.compliance.audiences import load_requirements

        required = load_requirements()
    if isinstance(user_ids, Select):
        ids = user_ids
        statement = _items_select(lambda column: column.in_(ids), required, open_only)
        found = db.session.execute(statement).all()
    else:
        found = rows(
            ("page items", open_only, required.key),
            lambda: _items_select(ids_in, required, open_only),
            {IDS: sorted(user_ids)},
        )
    by_source: dict[str, list[Any]] = {source: [] for source in _SOURCES}
    for row in found:
        by_source[row[0]].append(row)
    # Each person's items as (rank, date, title, arrival, item): sorted as tuples, without a key function
    # called per item; the arrival number keeps the order items were read in among equals.
    # (One count over all the rows orders them as each person's own count would, without a len() an item.)
    pending: dict[int, list[tuple[int, date, str, int, Item]]] = {}
    arrival = 0
    for source in _SOURCES:  # each source's items in turn, as they were read one statement each
        for row in by_source[source]:
            item = _item(row, today, due_soon_days, zone)
            entries = pending.get(row[1])
            if entries is None:
                entries = pending[row[1]] = []
                if row[1] not in result:
                    result[row[1]] = PersonCompliance(row[1])
            day = item.due_on or item.expires_on or date.max
            arrival += 1
            entries.append((_RANK[item.status], day, item.title, arrival, item))
    for user_id, entries in pending.items():
        entries.sort()
        result[user_id].items = [entry[4] for entry in entries]
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
