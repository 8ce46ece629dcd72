"""Usage per tenant per month, for chargeback: one grouped query per measure, whatever the number of tenants.

The counts cross tenants, so they run on the platform path (``tenancy.unscoped``, audited and reviewed in
tests/tenancy/test_cross_tenant_uses.py): a console request already runs as the platform database role
(docs/decisions/0009), and grouping by tenant keeps the page at the same few queries for 3 tenants or 3,000.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import ColumnElement, Select, and_, func, or_, select, union

from app import audit
from app.assessments.models import Attempt
from app.certificates.models import Certificate
from app.csvcells import csv_safe
from app.errors import ValidationError
from app.extensions import db
from app.learning.models import Enrollment, LessonProgress
from app.policies.models import Acknowledgement
from app.storage import storage
from app.tenancy import unscoped
from app.tenancy.models import Tenant

_MONTH_RE = re.compile(r"^(\d{4})-(\d{2})$")
MEASURES = ("active_learners", "enrollments", "completions", "certificates", "storage_bytes")


@dataclass(frozen=True)
class Month:
    """A calendar month in UTC: from its first moment up to the first moment of the next."""

    year: int
    month: int

    @property
    def starts(self) -> datetime:
        return datetime(self.year, self.month, 1, tzinfo=UTC)

    @property
    def ends(self) -> datetime:
        year, month = (self.year + 1, 1) if self.month == 12 else (self.year, self.month + 1)
        return datetime(year, month, 1, tzinfo=UTC)

    @property
    def first_day(self) -> date:
        return self.starts.date()

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"


def last_full_month(today: date | None = None) -> Month:
    """The month before *today*'s (UTC): the last one that has ended."""
    today = today or datetime.now(UTC).date()
    return Month(today.year - 1, 12) if today.month == 1 else Month(today.year, today.month - 1)


def parse_month(text: str | None, today: date | None = None) -> Month:
    """The month written as YYYY-MM (the last full month when empty); ValidationError when it is not one."""
    today = today or datetime.now(UTC).date()
    text = (text or "").strip()
    if not text:
        return last_full_month(today)
    match = _MONTH_RE.match(text)
    if match is None or not 1 <= int(match.group(2)) <= 12 or int(match.group(1)) < 2000:
        raise ValidationError(_("Enter a month as year and month, for example 2026-11."), field="month")
    month = Month(int(match.group(1)), int(match.group(2)))
    if month.first_day > today:
        raise ValidationError(
            _("Choose a month that has begun; there is no usage in the future yet."), field="month"
        )
    return month


@dataclass
class TenantUsage:
    tenant: Tenant
    active_learners: int = 0
    enrollments: int = 0
    completions: int = 0
    certificates: int = 0
    storage_bytes: int = 0


@dataclass
class UsageReport:
    month: Month
    rows: list[TenantUsage]
    total: dict[str, int] = field(default_factory=dict)


def _within(column: Any, month: Month) -> ColumnElement[bool]:
    return and_(column >= month.starts, column < month.ends)


def _active_learners(month: Month) -> Select:
    """Per tenant, the people who did something to learn in *month*.

    Started or completed a course, enrolled themselves, started or completed a lesson, started or
    submitted a quiz, or accepted a policy. Being enrolled by someone else is not activity.
    """
    sources = union(
        select(Enrollment.tenant_id, Enrollment.user_id).where(
            or_(
                _within(Enrollment.started_at, month),
                _within(Enrollment.completed_at, month),
                and_(_within(Enrollment.enrolled_at, month), Enrollment.source == "self"),
            )
        ),
        select(LessonProgress.tenant_id, Enrollment.user_id)
        .join(Enrollment, Enrollment.id == LessonProgress.enrollment_id)
        .where(or_(_within(LessonProgress.started_at, month), _within(LessonProgress.completed_at, month))),
        select(Attempt.tenant_id, Attempt.user_id).where(
            or_(_within(Attempt.started_at, month), _within(Attempt.submitted_at, month))
        ),
        select(Acknowledgement.tenant_id, Acknowledgement.user_id).where(
            _within(Acknowledgement.acknowledged_at, month)
        ),
    ).subquery()
    return select(sources.c.tenant_id, func.count()).group_by(sources.c.tenant_id)


def _counted(model: Any, column: Any, month: Month) -> Select:
    tenant_id = model.tenant_id
    return select(tenant_id, func.count()).where(_within(column, month)).group_by(tenant_id)


def usage_for(month: Month) -> UsageReport:
    """Every tenant's usage in *month*, with the platform's total; the platform itself is left out."""
    tenants = list(
        db.session.scalars(select(Tenant).where(Tenant.is_platform.is_(False)).order_by(Tenant.display_name))
    )
    rows = {t.id: TenantUsage(tenant=t) for t in tenants}
    statements = {
        "active_learners": _active_learners(month),
        "enrollments": _counted(Enrollment, Enrollment.enrolled_at, month),
        "completions": _counted(Enrollment, Enrollment.completed_at, month),
        "certificates": _counted(Certificate, Certificate.created_at, month),
    }
    with unscoped("platform console: usage per tenant for chargeback"):
        for measure, statement in statements.items():
            for tenant_id, count in db.session.execute(statement):
                if tenant_id in rows:
                    setattr(rows[tenant_id], measure, int(count or 0))
    files = storage()
    for row in rows.values():
        row.storage_bytes = files.bytes_used(row.tenant.id)
    listed = list(rows.values())
    total = {measure: sum(getattr(row, measure) for row in listed) for measure in MEASURES}
    return UsageReport(month=month, rows=listed, total=total)


def readable_size(size: int) -> str:
    """*size* bytes in the reader's language, in the largest unit it fills (1 kB = 1,000 B)."""
    from babel.units import format_unit
    from flask_babel import get_locale

    locale = get_locale() or "en"
    for unit, factor in (
        ("digital-gigabyte", 10**9),
        ("digital-megabyte", 10**6),
        ("digital-kilobyte", 10**3),
    ):
        if size >= factor:
            return str(format_unit(size / factor, unit, length="short", format="#,##0.#", locale=locale))
    return str(format_unit(size, "digital-byte", length="short", locale=locale))


def record_export(report: UsageReport) -> None:
    """Note in the platform's audit log that an operator took the usage of *report*'s month away."""
    audit.record("usage.exported", after={"month": str(report.month), "tenants": len(report.rows)})


def csv_header() -> list[str]:
    return [
        _("Month"),
        _("Portal"),
        _("Address"),
        _("Status"),
        _("Active learners"),
        _("Enrolments created"),
        _("Completions"),
        _("Certificates issued"),
        _("Storage used (bytes)"),
    ]


def csv_records(report: UsageReport) -> list[list[str]]:
    """The report as CSV records: a header, one line per tenant, and the total."""
    records = [csv_header()]
    for row in report.rows:
        records.append(
            [
                str(report.month),
                row.tenant.display_name,
                row.tenant.slug,
                row.tenant.status,
                *(str(getattr(row, measure)) for measure in MEASURES),
            ]
        )
    records.append(
        [str(report.month), _("Total"), "", "", *(str(report.total[measure]) for measure in MEASURES)]
    )
    return records


def csv_lines(records: list[list[str]]) -> Iterator[str]:
    """Yield *records* as CSV lines, every cell made formula-safe."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for record in records:
        writer.writerow([csv_safe(cell) for cell in record])
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
