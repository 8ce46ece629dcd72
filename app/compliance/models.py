"""What the compliance dashboard remembers: the reminders managers sent, and each week's compliance."""

from __future__ import annotations

from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import Date, ForeignKey, Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column

from app.db_types import UtcDateTime
from app.extensions import Model
from app.tenancy.models import TenantScoped, tenant_unique, utcnow


class Reminder(TenantScoped, Model):
    """A manager nudged a person about their required training: who, whom, when, and how it reached them."""

    __tablename__ = "compliance_reminders"
    __table_args__ = (Index("ix_compliance_reminders_tenant_user_sent", "tenant_id", "user_id", "sent_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    sent_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    sent_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    channel: Mapped[str] = mapped_column(String(10), default="email")  # email | inbox (no email address)


class ComplianceSnapshot(TenantScoped, Model):
    """A unit's compliance (or the whole tenant's: no unit) as it stood in one week, for the 12-week trend."""

    __tablename__ = "compliance_snapshots"
    __table_args__ = (
        tenant_unique("org_unit_id", "week_start"),
        # NULLs are distinct in a unique constraint: the whole tenant's week is kept unique by its own index.
        Index(
            "uq_compliance_snapshots_tenant_week_whole",
            "tenant_id",
            "week_start",
            unique=True,
            postgresql_where=text("org_unit_id IS NULL"),
            sqlite_where=text("org_unit_id IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # What an admin removing the unit is told still uses it (app/accounts/services/org_units.py).
    org_unit_id: Mapped[int | None] = mapped_column(
        ForeignKey("org_units.id"), info={"unit_use": _l("the compliance history")}
    )
    week_start: Mapped[date] = mapped_column(Date)  # the Monday of the week, on the portal's calendar
    people: Mapped[int] = mapped_column(Integer, default=0)
    compliant: Mapped[int] = mapped_column(Integer, default=0)
    overdue: Mapped[int] = mapped_column(Integer, default=0)  # people with an overdue item
    expired: Mapped[int] = mapped_column(Integer, default=0)  # people with an expired certification
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
