"""What every report is made of: its filters, columns, whose rows it shows, and rows streamed from SQL.

A report's rows come from one SELECT read ``yield_per`` rows at a time (the overdue report reads its
people in batches), so an export of any size holds one batch in memory. Every report is limited to
the people the viewer reaches (:func:`app.reports.scope.people_in_scope`), whatever the filters say.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import TYPE_CHECKING, Any, ClassVar, TypeVarTuple

from flask import g
from flask_babel import gettext as _
from sqlalchemy import ColumnElement, Select, bindparam, func, select

from app.accounts import org
from app.accounts.models import GroupMembership, OrgUnit, User
from app.extensions import db

if TYPE_CHECKING:
    from app.reports.sql_cells import SqlCells

#: Rows read from the database at a time while streaming.
BATCH = 2000

_Row = TypeVarTuple("_Row")


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
    """Whose rows a viewer sees: everyone of the tenant, or the people of a SELECT of ids, or those ids.

    Ids read beforehand make a better plan: PostgreSQL guessed a manager's reach (a recursive query) at
    millions of people and joined every one of a million attempts to it (3-4 s for 2,353 rows, 0.2 s with
    the ids). They are written into the SQL as numbers, so that no database's limit on bound values
    applies, however many people someone reaches.
    """

    people: Select[Any] | Sequence[int] | None = None  # None: everyone

    def where(self, user_id: Any) -> list[ColumnElement[bool]]:
        if self.people is None:
            return []
        if isinstance(self.people, Select):
            return [user_id.in_(self.people)]
        return [
            user_id.in_(
                bindparam(
                    "people_in_scope", list(self.people), expanding=True, literal_execute=True, unique=True
                )
            )
        ]


# ---------------------------------------------------------------- cells


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def yes_no() -> tuple[str, str]:
    """The words for true and false, translated once per request or job: an export of a million rows
    would otherwise look the portal's catalogs up a million times (a quarter of its time)."""
    words: tuple[str, str] | None = g.get("report_yes_no")
    if words is None:
        words = g.report_yes_no = (_("Yes"), _("No"))
    return words


def cell(value: Any, zone: Any = None) -> Any:
    """A value as a report shows it: moments in the portal's time zone to the minute, dates ISO."""
    if value is None:
        return ""
    if type(value) is str or type(value) is int:  # most cells: as they are, without the checks below
        return value
    if isinstance(value, datetime):
        moment = _aware(value)
        if zone is not None:
            moment = moment.astimezone(zone)
        return moment.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        yes, no = yes_no()
        return yes if value else no
    if isinstance(value, float):
        return round(value, 1)
    return value


def _start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def _end(day: date) -> datetime:
    return datetime.combine(day, time.max, tzinfo=UTC)


def in_dates(column: Any, filters: Filters) -> list[ColumnElement[bool]]:
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


def person_columns() -> list[Any]:
    return [User.full_name, User.email, OrgUnit.name, User.job_title]


def of_people(
    statement: Select[*_Row], filters: Filters, scope: Scope, *, user_id: Any = None
) -> Select[*_Row]:
    """*statement* joined to each row's person (the ``users`` row of *user_id*; None: it reads ``users``
    already) and their unit, keeping only the people the viewer reaches and the filters ask for.

    The one place every report applies its people filters, so that a report cannot forget the scope.
    """
    if user_id is None:
        user_id = User.id
    else:
        statement = statement.join(User, User.id == user_id)
    return statement.outerjoin(OrgUnit, OrgUnit.id == User.org_unit_id).where(
        *people_criteria(user_id, filters, scope)
    )


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

    def export_cells(self, columns: list[Any], cells: SqlCells) -> list[Any] | None:
        """The cells of :meth:`statement`'s *columns* as SQL text, exactly as :meth:`shape` writes them
        (:mod:`app.reports.sql_cells`), for PostgreSQL to write a CSV export; None: shaped in Python only."""
        return None

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
