"""How each person of a set stands, counted in SQL: the dashboard sorts, filters and pages on it.

:func:`app.compliance.status.for_people` builds every item of every person, which the dashboard needs
for the people of one page only. To sort and filter a whole team first, this module reads the
same items by the same rules, written as SQL ``CASE`` expressions (one rank per item, in the order of
:class:`~app.compliance.status.Status`), and counts them per person and status in the database: one
row per person comes back, not one per item. Policies and certifications not started yet come from
the same SELECTs as there (:mod:`app.compliance.audiences`), so both agree by construction.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import (
    Integer,
    and_,
    bindparam,
    case,
    exists,
    func,
    literal,
    literal_column,
    null,
    or_,
    select,
    union_all,
)

from app.compliance.audiences import Requirements, load_requirements
from app.compliance.statements import IDS, cached, day_parameters, ids_in, rows
from app.compliance.status import (
    DUE_SOON_DAYS,
    Kind,
    Status,
    open_checkpoint_clauses,
    portal_zone,
)
from app.extensions import db
from app.inputs import like_pattern

#: A person with nothing required sorts after every status.
NOTHING = len(Status)
_RANKS = range(len(Status))
#: No items of any status.
_NONE = (0,) * len(Status)
_OVERDUE, _EXPIRED = Status.overdue.rank, Status.expired.rank


@dataclass
class Standing:
    """One person's items counted by status (index: the status's rank), and those of the chosen item."""

    user_id: int
    by_status: Sequence[int] = _NONE  # replaced, never changed in place
    chosen: Sequence[int] = _NONE  # the item filter's item only
    #: As :attr:`app.compliance.status.PersonCompliance.urgency`: out of compliance first, then worst
    #: (``(compliant, worst)``). Set with *by_status* by :func:`rank_people`, once, rather than worked
    #: out by two properties at each of a team sort's comparisons' key.
    urgency: tuple[bool, int] = (True, NOTHING)

    @property
    def worst(self) -> int:
        """The rank of the most urgent status (NOTHING: nothing required)."""
        for rank, count in enumerate(self.by_status):  # a loop, not a generator resumed for each status
            if count:
                return rank
        return NOTHING

    @property
    def compliant(self) -> bool:
        return not (self.by_status[_OVERDUE] or self.by_status[_EXPIRED])

    def has(self, status: Status) -> bool:
        return bool(self.by_status[status.rank])


def _n(number: int) -> Any:
    """A whole number written into the SQL rather than bound: the ranks and counts of every statement
    here are constants, and each bound one costs every execution a parameter to look up and send."""
    return literal_column(str(int(number)), Integer)


def _by_due_date(done: Any, started: Any, due_on: Any) -> Any:
    """:func:`app.compliance.status.status_by_due_date` as SQL: the rank of the status (against the
    parameters ``today`` and ``soon_until`` of :func:`app.compliance.statements.day_parameters`)."""
    return case(
        (done, _n(Status.done.rank)),
        (due_on < bindparam("today"), _n(Status.overdue.rank)),
        (due_on <= bindparam("soon_until"), _n(Status.due_soon.rank)),
        (started, _n(Status.in_progress.rank)),
        else_=_n(Status.not_started.rank),
    )


def _items(requirements: Requirements, *, titles: bool = True) -> Any:
    """A subquery of (user_id, kind, title, rank): every item read in SQL, one row each, of the people
    bound as ``ids`` on the dates bound as :func:`~app.compliance.statements.day_parameters` says.

    Built once for these requirements (:mod:`app.compliance.statements`). Without *titles* (nothing
    needs them: no item filter) the title is NULL for the enrolments, path enrolments and certification
    records, which then skip the join to their courses, paths and certifications (at a location of 250
    people, a hash of the tenant's 10,000 courses).
    """
    return cached(("ranked items", titles, requirements.key), lambda: _build_items(requirements, titles))


def _parameters(ids: Collection[int], today: date, soon: int, zone: Any) -> dict[str, Any]:
    return {IDS: sorted(ids), **day_parameters(today, soon, zone)}


def _build_items(requirements: Requirements, titles: bool) -> Any:
    from app.certifications.models import Certification, CertificationRecord
    from app.learning.models import Course, Enrollment, LearningPath, Lesson, PathEnrollment

    def title_of(column: Any) -> Any:
        return column if titles else null()

    courses = select(
        Enrollment.user_id.label("user_id"),
        literal(Kind.course.value).label("kind"),
        title_of(Course.title).label("title"),
        _by_due_date(
            Enrollment.completed_at.is_not(None),
            or_(Enrollment.started_at.is_not(None), Enrollment.progress_percent > 0),
            Enrollment.due_on,
        ).label("rank"),
    ).where(
        ids_in(Enrollment.user_id),
        Enrollment.withdrawn_at.is_(None),
        or_(Enrollment.due_on.is_not(None), Enrollment.source.in_(("manual", "rule", "manager"))),
    )
    if titles:
        courses = courses.join(Course, Course.id == Enrollment.course_id)
    path_started = exists().where(
        Enrollment.path_enrollment_id == PathEnrollment.id,
        or_(Enrollment.started_at.is_not(None), Enrollment.progress_percent > 0),
    )
    paths = select(
        PathEnrollment.user_id,
        literal(Kind.path.value),
        title_of(LearningPath.title),
        _by_due_date(PathEnrollment.completed_at.is_not(None), path_started, PathEnrollment.due_on),
    ).where(
        ids_in(PathEnrollment.user_id),
        PathEnrollment.withdrawn_at.is_(None),
        or_(PathEnrollment.due_on.is_not(None), PathEnrollment.source.in_(("manual", "rule", "manager"))),
    )
    if titles:
        paths = paths.join(LearningPath, LearningPath.id == PathEnrollment.path_id)
    # certification_status(): the clock wins over a state the nightly sweep has not moved yet.
    record = CertificationRecord
    holding = record.state.in_(("certified", "expiring"))
    lapses = func.coalesce(record.grace_until, record.expires_at)
    certifications = select(
        record.user_id,
        literal(Kind.certification.value),
        title_of(Certification.title),
        case(
            (record.state.in_(("expired", "revoked")), _n(Status.expired.rank)),
            (and_(holding, lapses < bindparam("tomorrow")), _n(Status.expired.rank)),
            (
                and_(holding, or_(record.state == "expiring", record.expires_at < bindparam("past_soon"))),
                _n(Status.expiring.rank),
            ),
            (holding, _n(Status.done.rank)),
            (record.state == "in_progress", _n(Status.in_progress.rank)),
            else_=_n(Status.not_started.rank),
        ),
    ).where(ids_in(record.user_id), record.state != "not_started")
    if titles:
        certifications = certifications.join(Certification, Certification.id == record.certification_id)
    checkpoints = (
        select(
            Enrollment.user_id,
            literal(Kind.checkpoint.value),
            Course.title + literal(": ") + Lesson.title,
            _by_due_date(literal(False), literal(False), Enrollment.due_on),
        )
        .join(Course, Course.id == Enrollment.course_id)
        .join(Lesson, Lesson.course_id == Course.id)
        .where(ids_in(Enrollment.user_id), *open_checkpoint_clauses())
    )
    audience = _audience_rows(requirements)
    return union_all(courses, paths, certifications, checkpoints, *audience).cte("items")


def _audience_rows(requirements: Requirements) -> list[Any]:
    """SELECTs of (user_id, kind, title, rank) of the items found by their audiences: policies, and
    certifications that apply to someone who has not started them (the SELECTs ``for_people`` reads)."""
    policies, not_started = requirements.rows(ids_in)
    parts = []
    if policies is not None:
        policies = policies.subquery("policies")
        parts.append(
            select(
                policies.c.user_id,
                literal(Kind.policy.value),
                policies.c.title,
                _by_due_date(policies.c.accepted, literal(False), policies.c.due_on),
            )
        )
    if not_started is not None:
        not_started = not_started.subquery("not_started")
        parts.append(
            select(
                not_started.c.user_id,
                literal(Kind.certification.value),
                not_started.c.title,
                _n(Status.not_started.rank),
            )
        )
    return parts


def chosen_item_clause(kind: Any, title: Any, item: str) -> Any:
    """The item filter: an item whose title is *item* in any case, or whose key (``kind:title``) it is."""
    wanted_kind, _sep, wanted_title = item.partition(":")
    named = func.lower(title) == func.lower(literal(item.strip()))
    if wanted_kind in {k.value for k in Kind} and wanted_title.strip():
        return or_(
            named, and_(kind == wanted_kind, func.lower(title) == func.lower(literal(wanted_title.strip())))
        )
    return named


def rank_people(
    ids: Collection[int],
    today: date,
    *,
    item: str = "",
    due_soon_days: int = DUE_SOON_DAYS,
    tenant: Any = None,
    requirements: Requirements | None = None,
) -> dict[int, Standing]:
    """Each of the people *ids*' items counted by status, in a fixed number of statements whatever their
    number (one counts; the policies and certifications whose audiences it reads take four more).

    *item* is the dashboard's item filter (:func:`chosen_item_clause`): its items are counted apart as well.
    """
    standings = {user_id: Standing(user_id) for user_id in ids}
    if not standings:
        return standings
    required = requirements or load_requirements()
    parameters = _parameters(standings, today, due_soon_days, portal_zone(tenant))
    if item:
        found = db.session.execute(_counted(_items(required, titles=True), item), parameters).all()
    else:
        found = rows(
            ("ranked by status", required.key),
            lambda: _counted(_items(required, titles=False), ""),
            parameters,
        )
    for user_id, *numbers in found:
        standing = standings[user_id]
        # NOTHING is the number of statuses (a constant: ``len(Status)`` is a call a person).
        standing.by_status = by_status = numbers[:NOTHING]  # sums of 0s and 1s: never NULL
        if item:
            standing.chosen = numbers[NOTHING:]
        worst = NOTHING
        for rank, count in enumerate(by_status):  # Standing.worst, without a call per person
            if count:
                worst = rank
                break
        standing.urgency = (not (by_status[_OVERDUE] or by_status[_EXPIRED]), worst)
    return standings


def _counted(items: Any, item: str) -> Any:
    """Each person's *items* counted by status, and those of the item filter's *item* apart (no item: no
    such counts, rather than a column of noughts for each status summed over every item of the team)."""
    counts = [func.sum(case((items.c.rank == _n(rank), _n(1)), else_=_n(0))) for rank in _RANKS]
    chosen = []
    if item:
        is_chosen = chosen_item_clause(items.c.kind, items.c.title, item)
        chosen = [
            func.sum(case((and_(is_chosen, items.c.rank == _n(rank)), _n(1)), else_=_n(0))) for rank in _RANKS
        ]
    return select(items.c.user_id, *counts, *chosen).group_by(items.c.user_id)


def item_titles(
    ids: Collection[int], today: date, containing: str, *, limit: int, tenant: Any = None
) -> list[tuple[str, str]]:
    """The (kind, title) of the items of the people *ids* whose title contains *containing* (any case),
    by title: what the item filter suggests."""
    if not ids:
        return []
    items = _items(load_requirements(), titles=True)
    statement = (
        select(items.c.kind, items.c.title)
        .where(func.lower(items.c.title).like(func.lower(literal(like_pattern(containing))), escape="\\"))
        .group_by(items.c.kind, items.c.title)
        .order_by(items.c.title, items.c.kind)
        .limit(limit)
    )
    parameters = _parameters(ids, today, DUE_SOON_DAYS, portal_zone(tenant))
    return [(kind, title) for kind, title in db.session.execute(statement, parameters)]
