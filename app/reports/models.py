"""What reports remember: exports asked for (with their progress and file) and saved report definitions."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.db_types import UtcDateTime
from app.extensions import Model
from app.tenancy.models import TenantScoped, utcnow


class ExportStatus:
    queued = "queued"
    running = "running"
    done = "done"
    failed = "failed"


class ReportExport(TenantScoped, Model):
    """A report written to a file by a job: who asked, what, in which format, how far it got, where it is."""

    __tablename__ = "report_exports"
    __table_args__ = (
        Index("ix_report_exports_tenant_requested_by", "tenant_id", "requested_by_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    report_key: Mapped[str] = mapped_column(String(50))
    format: Mapped[str] = mapped_column(String(10))  # csv | xlsx | pdf
    filters: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(20), default=ExportStatus.queued)
    progress_rows: Mapped[int] = mapped_column(Integer, default=0)
    total_rows: Mapped[int | None] = mapped_column(Integer)
    storage_key: Mapped[str | None] = mapped_column(String(200))
    error: Mapped[str | None] = mapped_column(Text)
    saved_report_id: Mapped[int | None] = mapped_column(ForeignKey("saved_reports.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime())

    @property
    def is_live(self) -> bool:
        return self.status in (ExportStatus.queued, ExportStatus.running)


class SavedReport(TenantScoped, Model):
    """A report with its filters kept under a name, and who receives it by email and how often."""

    __tablename__ = "saved_reports"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    report_key: Mapped[str] = mapped_column(String(50))
    filters: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    schedule: Mapped[str] = mapped_column(String(10), default="none")  # none | daily | weekly | monthly
    format: Mapped[str] = mapped_column(String(10), default="csv")
    recipients: Mapped[list[int]] = mapped_column(JSON, default=list)  # user ids of the tenant
    # The period ("2026-12-05", "2026-W49", "2026-12") last delivered: a second cron run in it sends nothing.
    last_period: Mapped[str | None] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
