"""How each person of a set stands, counted in SQL: the dashboard sorts, filters and pages on it.

:func:`app.compliance.status.for_people` builds every item of every person, which the dashboard needs
for the fifty people of one page only. To sort and filter a whole team first, this module reads the
same items by the same rules, written as SQL ``CASE`` expressions (one rank per item, in the order of
:class:`~app.compliance.status.Status`), and counts them per person and status in the database: one
row per person comes back, not one per item. Policies and certifications not started yet, whose
audiences are read in Python there, come from the same functions here, so both agree by construction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy import and_, case, exists, func, literal, or_, select, union_all

from app.accounts.models import User
from app.compliance.status import (
    DUE_SOON_DAYS,
    Item,
    Kind,
    Status,
    _certifications_not_started,
    _in,
    open_checkpoint_clauses,
    policy_items,
    portal_zone,
    start_of_day_utc,
)
from app.extensions import db

#: A person with nothing required sorts after every status.
NOTHING = len(Status)
_RANKS = range(len(Status))


@dataclass
class Standing:
    """One person's items counted by status (index: the status's rank), and those of the chosen item."""

    user_id: int
    by_status: list[int] = field(default_factory=lambda: [0] * len(Status))
    chosen: list[int] = field(default_factory=lambda: [0] * len(Status))  # the item filter's item only

    @property
    def worst(self) -> int:
        """The rank of the most urgent status (NOTHING: nothing required)."""
        return next((rank for rank in _RANKS if self.by_status[rank]), NOTHING)

    @property
    def compliant(self) -> bool:
        return not (self.by_status[Status.overdue.rank] or self.by_status[Status.expired.rank])

    @property
    def urgency(self) -> tuple[bool, int]:
        """As :attr:`app.compliance.status.PersonCompliance.urgency`: out of compliance first, then worst."""
        return (self.compliant, self.worst)

    def has(self, status: Status) -> bool:
        return bool(self.by_status[status.rank])


@dataclass
class Ranking:
    standings: dict[int, Standing]
    items: list[tuple[str, str, str]]  # every item anyone of the set has: (key, title, kind), by key
    # Each person's policies and certifications not started: for_people() takes them, not to read twice.
    by_audience: dict[int, list[Item]] = field(default_factory=dict)


def _by_due_date(done: Any, started: Any, due_on: Any, today: date, soon: int) -> Any:
    """:func:`app.compliance.status.status_by_due_date` as SQL: the rank of the status."""
    return case(
        (done, Status.done.rank),
        (due_on < today, Status.overdue.rank),
        (due_on <= today + timedelta(days=soon), Status.due_soon.rank),
        (started, Status.in_progress.rank),
        else_=Status.not_started.rank,
    )


def _item_rows(ids: Sequence[int], today: date, soon: int, zone: Any) -> Any:
    """A subquery of (user_id, kind, title, rank): every item read in SQL, one row each."""
    from app.certifications.models import Certification, CertificationRecord
    from app.learning.models import Course, Enrollment, LearningPath, Lesson, PathEnrollment

    chosen = sorted(ids)  # the same order, the same statement
    courses = (
        select(
            Enrollment.user_id.label("user_id"),
            literal(Kind.course.value).label("kind"),
            Course.title.label("title"),
            _by_due_date(
                Enrollment.completed_at.is_not(None),
                or_(Enrollment.started_at.is_not(None), Enrollment.progress_percent > 0),
                Enrollment.due_on,
                today,
                soon,
            ).label("rank"),
        )
        .join(Course, Course.id == Enrollment.course_id)
        .where(
            _in(Enrollment.user_id, chosen),
            Enrollment.withdrawn_at.is_(None),
            or_(Enrollment.due_on.is_not(None), Enrollment.source.in_(("manual", "rule", "manager"))),
        )
    )
    path_started = exists().where(
        Enrollment.path_enrollment_id == PathEnrollment.id,
        or_(Enrollment.started_at.is_not(None), Enrollment.progress_percent > 0),
    )
    paths = (
        select(
            PathEnrollment.user_id,
            literal(Kind.path.value),
            LearningPath.title,
            _by_due_date(
                PathEnrollment.completed_at.is_not(None), path_started, PathEnrollment.due_on, today, soon
            ),
        )
        .join(LearningPath, LearningPath.id == PathEnrollment.path_id)
        .where(
            _in(PathEnrollment.user_id, chosen),
            PathEnrollment.withdrawn_at.is_(None),
            or_(PathEnrollment.due_on.is_not(None), PathEnrollment.source.in_(("manual", "rule", "manager"))),
        )
    )
    # certification_status(): the clock wins over a state the nightly sweep has not moved yet.
    record = CertificationRecord
    holding = record.state.in_(("certified", "expiring"))
    lapses = func.coalesce(record.grace_until, record.expires_at)
    tomorrow = start_of_day_utc(today + timedelta(days=1), zone)
    past_soon = start_of_day_utc(today + timedelta(days=soon + 1), zone)
    certifications = (
        select(
            record.user_id,
            literal(Kind.certification.value),
            Certification.title,
            case(
                (record.state.in_(("expired", "revoked")), Status.expired.rank),
                (and_(holding, lapses < tomorrow), Status.expired.rank),
                (
                    and_(holding, or_(record.state == "expiring", record.expires_at < past_soon)),
                    Status.expiring.rank,
                ),
                (holding, Status.done.rank),
                (record.state == "in_progress", Status.in_progress.rank),
                else_=Status.not_started.rank,
            ),
        )
        .join(Certification, Certification.id == record.certification_id)
        .where(_in(record.user_id, chosen), record.state != "not_started")
    )
    checkpoints = (
        select(
            Enrollment.user_id,
            literal(Kind.checkpoint.value),
            Course.title + literal(": ") + Lesson.title,
            _by_due_date(literal(False), literal(False), Enrollment.due_on, today, soon),
        )
        .join(Course, Course.id == Enrollment.course_id)
        .join(Lesson, Lesson.course_id == Course.id)
        .where(_in(Enrollment.user_id, chosen), *open_checkpoint_clauses())
    )
    return union_all(courses, paths, certifications, checkpoints).cte("items")


def _read_by_audience(people: Sequence[User], today: date, soon: int) -> dict[int, list[Item]]:
    """The items whose audiences are read in Python, for each of *people*: policies, and certifications
    that apply to someone who has not started them."""
    from app.certifications.models import CertificationRecord

    found: dict[int, list[Item]] = {person.id: [] for person in people}
    for user_id, item in policy_items(list(people), today, soon):
        found[user_id].append(item)
    ids = sorted(found)
    have = {
        (user_id, cert_id)
        for user_id, cert_id in db.session.execute(
            select(CertificationRecord.user_id, CertificationRecord.certification_id).where(
                _in(CertificationRecord.user_id, ids), CertificationRecord.state != "not_started"
            )
        )
    }
    for user_id, item in _certifications_not_started(ids, have):
        found[user_id].append(item)
    return found


def rank_people(
    people: Sequence[User],
    today: date,
    *,
    item: str = "",
    due_soon_days: int = DUE_SOON_DAYS,
    tenant: Any = None,
) -> Ranking:
    """Each of *people*'s items counted by status, in a fixed number of statements whatever their number.

    *item* is the dashboard's item filter (``kind:title``): its items are counted apart as well.
    """
    standings = {person.id: Standing(person.id) for person in people}
    if not people:
        return Ranking(standings, [], {})
    zone = portal_zone(tenant)
    items = _item_rows(list(standings), today, due_soon_days, zone)
    wanted_kind, _sep, wanted_title = item.partition(":")
    is_chosen = and_(items.c.kind == wanted_kind, items.c.title == wanted_title) if item else literal(False)
    counts = [func.sum(case((items.c.rank == rank, 1), else_=0)) for rank in _RANKS]
    chosen = [func.sum(case((and_(is_chosen, items.c.rank == rank), 1), else_=0)) for rank in _RANKS]
    nothing = [literal(0)] * (2 * len(Status))
    # One statement, the items read once: a row per person with their counts, then a row per item title.
    per_person = select(
        items.c.user_id, literal(None).label("kind"), literal(None).label("title"), *counts, *chosen
    )
    per_title = select(literal(None), items.c.kind, items.c.title, *nothing)
    titles: set[tuple[str, str]] = set()
    for user_id, kind, title, *numbers in db.session.execute(
        union_all(per_person.group_by(items.c.user_id), per_title.group_by(items.c.kind, items.c.title))
    ):
        if user_id is None:
            titles.add((kind, title))
            continue
        standing = standings[user_id]
        standing.by_status = [int(n or 0) for n in numbers[: len(Status)]]
        standing.chosen = [int(n or 0) for n in numbers[len(Status) :]]
    by_audience = _read_by_audience(people, today, due_soon_days)
    for user_id, found in by_audience.items():
        standing = standings[user_id]
        for one in found:
            standing.by_status[one.status.rank] += 1
            if item and one.key == item:
                standing.chosen[one.status.rank] += 1
            titles.add((one.kind.value, one.title))
    listed = sorted(((f"{kind}:{title}", title, kind) for kind, title in titles), key=lambda k: k[0])
    return Ranking(standings, listed, by_audience)
