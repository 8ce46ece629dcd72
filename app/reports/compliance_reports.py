"""Reports on compliance: certification status and expiries, policy acceptance, overdue items."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, and_, case, func, literal, select, union_all

from app.accounts.models import OrgUnit, User, UserStatus
from app.extensions import db
from app.labels import LABELS, label
from app.reports.base import (
    BATCH,
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

        records = select(
            *person_columns(),
            Certification.title,
            CertificationRecord.state,
            CertificationRecord.awarded_at,
            CertificationRecord.expires_at,
        ).select_from(CertificationRecord)
        statement = (
            of_people(records, filters, scope, user_id=CertificationRecord.user_id)
            .join(Certification, Certification.id == CertificationRecord.certification_id)
            .where(
                CertificationRecord.state != "not_started",
                *in_dates(CertificationRecord.expires_at, filters),
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

    def export_cells(self, columns: list[Any], cells: SqlCells) -> list[Any]:
        out = [cells.cell(column) for column in columns]
        out[5] = cells.label(columns[5], LABELS["certification_state"])
        return out


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
            people = select(
                *person_columns(),
                Policy.title.label("policy"),
                PolicyVersion.number,
                accepted.label("accepted_at"),
                User.id.label("user_id"),
            ).select_from(User)
            part = (
                of_people(people, filters, scope)
                .join(
                    PolicyVersion,
                    and_(PolicyVersion.policy_id == policy.id, PolicyVersion.published_at.is_not(None)),
                )
                .join(Policy, Policy.id == PolicyVersion.policy_id)
                .where(*_audience_criteria(policy))
            )
            parts.append(part)
        if not parts:
            return select(*person_columns(), literal(None), literal(None), literal(None)).where(
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
            statement = statement.where(*in_dates(rows.c.accepted_at, filters))
        return statement

    def shape(self, row: Any, zone: Any) -> list[Any]:
        cells = [cell(value, zone) for value in row]
        if row[6] is None:
            cells[6] = _("not accepted")
        return cells

    def export_cells(self, columns: list[Any], cells: SqlCells) -> list[Any]:
        out = [cells.cell(column) for column in columns]
        out[6] = case((columns[6].is_(None), cells.word(_("not accepted"))), else_=out[6])
        return out


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
        people = select(User.id, User.full_name, User.email, OrgUnit.name).select_from(User)
        statement: Any = (
            of_people(people, filters, scope)
            .where(User.status == UserStatus.active.value)
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
