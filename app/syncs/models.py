"""HR system syncs: where people come from, each run of a source, what a run changes, and who is whom."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, deferred, mapped_column, relationship

from app.db_types import UtcDateTime
from app.extensions import Model
from app.tenancy.models import TenantScoped, tenant_unique, utcnow


class Schedule(enum.StrEnum):
    off = "off"
    hourly = "hourly"
    daily = "daily"
    weekly = "weekly"


class RunStatus(enum.StrEnum):
    previewing = "previewing"
    preview_ready = "preview_ready"
    awaiting_approval = "awaiting_approval"
    applying = "applying"
    applied = "applied"
    failed = "failed"
    cancelled = "cancelled"
    rolled_back = "rolled_back"


class Action(enum.StrEnum):
    create = "create"
    update = "update"
    move = "move"
    deactivate = "deactivate"
    reactivate = "reactivate"
    rejected = "rejected"
    conflict = "conflict"


# The actions that change someone; rejected rows and conflicts are reported, never applied.
CHANGING = (Action.create, Action.update, Action.move, Action.deactivate, Action.reactivate)


class SyncSource(TenantScoped, Model):
    """A system the portal reads its people from: a CSV file, BambooHR, Workday, a JSON/CSV address."""

    __tablename__ = "sync_sources"
    __table_args__ = (tenant_unique("name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(40))
    config: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    secret_sealed: Mapped[bytes | None] = mapped_column(LargeBinary)
    # Atrium field -> the source's column; "attributes" maps attribute names to columns.
    mapping: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # The source's values of the status column that mean the person has left.
    terminated_values: Mapped[list[str]] = mapped_column(JSON, default=list)
    # A full feed lists everyone: people this source brought in who are missing from it have left.
    full_feed: Mapped[bool] = mapped_column(Boolean, default=False)
    schedule: Mapped[str] = mapped_column(String(10), default=Schedule.off.value)
    schedule_hour: Mapped[int] = mapped_column(Integer, default=2)  # UTC, for daily and weekly
    max_deactivate_percent: Mapped[int] = mapped_column(Integer, default=5)
    max_change_percent: Mapped[int] = mapped_column(Integer, default=20)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    deactivated_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    stale_notified_at: Mapped[datetime | None] = mapped_column(UtcDateTime())

    @property
    def secret_purpose(self) -> str:
        return f"sync-source-secret:{self.tenant_id}:{self.id}"


class SyncRun(TenantScoped, Model):
    """One reading of a source: previewed as a diff, then applied (or not), and perhaps rolled back."""

    __tablename__ = "sync_runs"
    __table_args__ = (Index("ix_sync_runs_tenant_source", "tenant_id", "source_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("sync_sources.id"))
    trigger: Mapped[str] = mapped_column(String(20), default="manual")  # manual | scheduled
    status: Mapped[str] = mapped_column(String(20), default=RunStatus.previewing.value)
    counts: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)  # action (and "unchanged") -> n
    rows_read: Mapped[int] = mapped_column(Integer, default=0)
    rows_applied: Mapped[int] = mapped_column(Integer, default=0)
    rows_errors: Mapped[int] = mapped_column(Integer, default=0)
    started_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    previewed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    apply_started_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    error: Mapped[str | None] = mapped_column(Text)
    cancel_requested: Mapped[bool] = mapped_column(Boolean, default=False)
    started_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    rolled_back_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    rolled_back_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # The org units applying created ({"id", "name"}, in creation order); rolling back removes each
    # unless something else uses it by then, and notes which ("removed": true, or "kept": the uses).
    created_org_units: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)
    # An uploaded file waiting to be read; forgotten once the preview has read it.
    upload: Mapped[bytes | None] = deferred(mapped_column(LargeBinary))

    source: Mapped[SyncSource] = relationship()

    @property
    def duration_seconds(self) -> float | None:
        if self.finished_at is None:
            return None
        return (self.finished_at - self.started_at).total_seconds()


class SyncChange(TenantScoped, Model):
    """One person's change in a run (unchanged people are only counted), with its before and after."""

    __tablename__ = "sync_changes"
    __table_args__ = (Index("ix_sync_changes_tenant_run", "tenant_id", "run_id", "seq"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("sync_runs.id"))
    seq: Mapped[int] = mapped_column(Integer)  # the order changes are applied in
    row_number: Mapped[int | None] = mapped_column(Integer)  # the source's row, 1 = the first person
    action: Mapped[str] = mapped_column(String(20))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    source_key: Mapped[str | None] = mapped_column(String(200))
    label: Mapped[str | None] = mapped_column(
        String(300)
    )  # the person's name (or key) as the source gives it
    before: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    after: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    reason: Mapped[str | None] = mapped_column(Text)
    error: Mapped[str | None] = mapped_column(Text)
    applied_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    rolled_back_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class SyncLink(TenantScoped, Model):
    """The source's own id for a person, so a changed email or employee id still finds them."""

    __tablename__ = "sync_links"
    __table_args__ = (tenant_unique("source_id", "source_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("sync_sources.id"))
    source_key: Mapped[str] = mapped_column(String(200))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
