"""Runs of a source: preview, apply (or wait for approval), cancel, roll back; schedules and staleness."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from app import audit, jobs
from app.accounts import permissions as perms
from app.accounts.models import Role, RoleAssignment, User, UserStatus
from app.errors import ValidationError
from app.extensions import db
from app.mail import mail_person
from app.syncs import readers
from app.syncs.models import CHANGING, RunStatus, Schedule, SyncChange, SyncRun, SyncSource
from app.syncs.services import apply as applying
from app.syncs.services import preview as previewing
from app.syncs.services.sources import source_secret
from app.tenancy.models import utcnow

log = logging.getLogger("atrium.syncs")

LIVE = (RunStatus.previewing.value, RunStatus.applying.value)
SCHEDULE_PERIOD = {
    Schedule.hourly.value: timedelta(hours=1),
    Schedule.daily.value: timedelta(days=1),
    Schedule.weekly.value: timedelta(days=7),
}


class ReadFailed(Exception):
    """The source could not be read; the message says why, in the admin's words."""


def get_run(run_id: int) -> SyncRun | None:
    return db.session.get(SyncRun, run_id)


def latest_runs(source: SyncSource, limit: int = 10) -> list[SyncRun]:
    return list(
        db.session.scalars(
            select(SyncRun).where(SyncRun.source_id == source.id).order_by(SyncRun.id.desc()).limit(limit)
        )
    )


def live_run(source: SyncSource) -> SyncRun | None:
    return db.session.scalars(
        select(SyncRun).where(SyncRun.source_id == source.id, SyncRun.status.in_(LIVE)).limit(1)
    ).first()


# While a worker reads a large source, the run's "rows read" moves every this many rows.
PROGRESS_EVERY = 5000


def _report_rows_read(run_id: int, count: int) -> None:
    """Store *count* as the run's rows read in a short transaction of its own, so the page shows it now."""
    try:
        with Session(db.engine) as side:
            side.execute(update(SyncRun).where(SyncRun.id == run_id).values(rows_read=count))
            side.commit()
    except SQLAlchemyError:
        # Progress is a courtesy: a busy database must not fail the reading itself.
        log.warning("sync.progress_not_stored", extra={"run_id": run_id, "rows_read": count})


def _counted(rows: Iterable[dict[str, str]], run_id: int, every: int) -> Iterator[dict[str, str]]:
    for count, row in enumerate(rows, start=1):
        yield row
        if count % every == 0:
            _report_rows_read(run_id, count)


def read_source(
    source: SyncSource, upload: bytes | None, *, run_id: int | None = None, report_every: int | None = None
) -> list[dict[str, str]]:
    """The source's rows, through the readers (which guard URLs and name what went wrong).

    A ``ReadError`` part-way through (a file broken at line 40,000) means nothing was read: the
    rows already read are dropped with it. With *run_id* and *report_every*, the run's rows read is
    stored every *report_every* rows as they are read.
    """
    try:
        rows: Iterable[dict[str, str]] = readers.read_rows(
            source.kind, dict(source.config or {}), source_secret(source), upload=upload
        )
        if run_id is not None and report_every:
            rows = _counted(rows, run_id, report_every)
        return list(rows)
    except readers.ReadError as exc:
        raise ReadFailed(exc.message) from exc


def start_preview(
    source: SyncSource,
    *,
    upload: bytes | None = None,
    trigger: str = "manual",
    by: User | None = None,
    now: bool = False,
) -> SyncRun:
    """Record a run of *source* and queue its preview on the sync queue (or, *now*, preview it here)."""
    if live_run(source) is not None:
        raise ValidationError(_("This source is already being read or applied; wait for that run to finish."))
    run = SyncRun(source=source, trigger=trigger, upload=upload, started_by_id=by.id if by else None)
    db.session.add(run)
    db.session.flush()
    if now:
        return run_preview(run)
    jobs.enqueue("app.syncs.jobs:preview_run", run.id, queue="sync", job_key=f"sync-run:{run.id}")
    return run


def run_preview(run: SyncRun) -> SyncRun:
    """Read the source and store the run's diff; a scheduled run then applies itself when it is safe."""
    upload = run.upload
    # A worker's run is watched from the run's page; an inline run (no Redis) finishes before anyone looks.
    every = PROGRESS_EVERY if current_app.config.get("REDIS_URL") else None
    try:
        rows = read_source(run.source, upload, run_id=run.id, report_every=every)
    except ReadFailed as exc:
        # Nothing was written yet: the run records why, and the admin sees it on the run's page.
        run.status, run.finished_at, run.error, run.upload = RunStatus.failed.value, utcnow(), str(exc), None
        return run
    previewing.preview(run, rows)
    run.upload = None
    # An admin may have cancelled the run while the source was being read: it stays cancelled.
    db.session.flush()
    db.session.refresh(run, attribute_names=["status"])
    if run.status == RunStatus.cancelled.value:
        return run
    if run.trigger != "scheduled":
        run.status = RunStatus.preview_ready.value
        return run
    reasons = safety_stops(run)
    if reasons:
        run.status = RunStatus.awaiting_approval.value
        _mail_admins_for_approval(run, reasons)
        return run
    run.status = RunStatus.applying.value
    jobs.enqueue("app.syncs.jobs:apply_run", run.id, queue="sync", job_key=f"sync-apply:{run.id}")
    return run


def safety_stops(run: SyncRun) -> list[str]:
    """Why *run* must wait for an admin: the source's limits it goes over (none: it may apply itself)."""
    counts = run.counts or {}
    source = run.source
    reasons = []
    active = db.session.scalar(select(func.count(User.id)).where(User.status == UserStatus.active.value)) or 0
    leaving = counts.get("deactivate", 0)
    if leaving and leaving * 100 > source.max_deactivate_percent * max(active, 1):
        reasons.append(
            _(
                "%(n)s of %(active)s active people would be deactivated; the limit is %(limit)s%%.",
                n=leaving,
                active=active,
                limit=source.max_deactivate_percent,
            )
        )
    changing = sum(counts.get(str(a), 0) for a in CHANGING)
    if changing and changing * 100 > source.max_change_percent * max(run.rows_read, 1):
        reasons.append(
            _(
                "%(n)s of %(rows)s rows would change someone; the limit is %(limit)s%%.",
                n=changing,
                rows=run.rows_read,
                limit=source.max_change_percent,
            )
        )
    return reasons


def admins() -> list[User]:
    """The active people who may manage this portal's integrations."""
    role_ids = [
        r.id for r in db.session.scalars(select(Role)) if perms.INTEGRATIONS_MANAGE in (r.permissions or [])
    ]
    if not role_ids:
        return []
    return list(
        db.session.scalars(
            select(User)
            .where(
                User.id.in_(select(RoleAssignment.user_id).where(RoleAssignment.role_id.in_(role_ids))),
                User.status == UserStatus.active.value,
            )
            .order_by(User.id)
        )
    )


def _portal_url(path: str) -> str:
    from app.tenancy import context
    from app.tenancy.models import Tenant
    from app.tenancy.services import portal_url

    tenant = db.session.get(Tenant, context.current_tenant_id())
    return portal_url(tenant, path) if tenant is not None else path


def _mail_admins_for_approval(run: SyncRun, reasons: list[str]) -> None:
    subject = _("HR sync “%(name)s” is waiting for your approval", name=run.source.name)
    body = "\n".join(
        [
            _(
                "The scheduled run of “%(name)s” changed nothing yet: it goes over the safety limits.",
                name=run.source.name,
            ),
            "",
            *reasons,
            "",
            _(
                "Look at the changes and apply or leave them: %(url)s",
                url=_portal_url(f"/admin/integrations/syncs/runs/{run.id}"),
            ),
        ]
    )
    for admin in admins():
        mail_person(admin, subject, body)


def start_apply(run: SyncRun, *, by: User | None = None) -> SyncRun:
    """Queue the application of *run*'s previewed changes (an admin's approval for a stopped run)."""
    resumable = (
        run.status in (RunStatus.failed.value, RunStatus.applying.value) and run.apply_started_at is not None
    )
    if run.status not in (RunStatus.preview_ready.value, RunStatus.awaiting_approval.value) and not resumable:
        raise ValidationError(_("This run cannot be applied now."))
    newer = db.session.scalars(
        select(SyncRun.id).where(
            SyncRun.source_id == run.source_id, SyncRun.id > run.id, SyncRun.apply_started_at.is_not(None)
        )
    ).first()
    if newer is not None and not resumable:
        raise ValidationError(_("A newer run of this source was applied since; preview again."))
    if by is not None:
        run.approved_by_id = by.id
    if run.status == RunStatus.awaiting_approval.value:
        audit.record("sync.run_approved", target=run.source, after={"run": run.id})
    run.status = RunStatus.applying.value
    run.cancel_requested = False
    db.session.flush()
    jobs.enqueue("app.syncs.jobs:apply_run", run.id, queue="sync", job_key=f"sync-apply:{run.id}")
    return run


def apply_now(run: SyncRun) -> SyncRun:
    """Apply *run* here, in batches; a failure leaves it failed with its applied part recorded."""
    run_id = run.id
    try:
        return applying.apply_changes(run)
    except Exception as exc:
        db.session.rollback()
        log.exception("sync.apply_failed", extra={"run_id": run_id})
        run = db.session.get(SyncRun, run_id)  # type: ignore[assignment]
        run.status, run.finished_at = RunStatus.failed.value, utcnow()
        run.error = _(
            "Applying stopped: %(error)s. Applying again continues where it stopped.",
            error=str(exc) or type(exc).__name__,
        )
        db.session.commit()
        return run


def cancel_run(run: SyncRun) -> SyncRun:
    """Stop *run*: a preview is dropped; an apply stops after the batch it is in (what it did is kept)."""
    if run.status == RunStatus.applying.value:
        run.cancel_requested = True
    elif run.status in (
        RunStatus.previewing.value,
        RunStatus.preview_ready.value,
        RunStatus.awaiting_approval.value,
    ):
        run.status, run.finished_at = RunStatus.cancelled.value, utcnow()
        run.upload = None
        audit.record("sync.run_cancelled", target=run.source, after={"run": run.id, "applied": 0})
    else:
        raise ValidationError(_("This run has finished; there is nothing to cancel."))
    return run


def can_roll_back(run: SyncRun) -> bool:
    return (
        run.status in (RunStatus.applied.value, RunStatus.cancelled.value, RunStatus.failed.value)
        and run.rows_applied > 0
    )


def roll_back(run: SyncRun, *, by: User | None = None) -> SyncRun:
    """Undo what *run* changed: people restored, deactivations undone, people it created deactivated."""
    if not can_roll_back(run):
        raise ValidationError(_("Only a run that changed people can be rolled back, once."))
    run_id = run.id
    applying.roll_back(run)
    run = db.session.get(SyncRun, run_id)  # type: ignore[assignment]
    run.rolled_back_by_id = by.id if by else None
    return run


def error_rows(run: SyncRun) -> list[SyncChange]:
    """The run's rejected rows, conflicts and changes that failed, in row order."""
    return list(
        db.session.scalars(
            select(SyncChange)
            .where(
                SyncChange.run_id == run.id,
                (SyncChange.action.in_(["rejected", "conflict"])) | SyncChange.error.is_not(None),
            )
            .order_by(SyncChange.row_number, SyncChange.seq)
        )
    )


# ---------------------------------------------------------------- schedules


def last_success(source: SyncSource) -> datetime | None:
    return db.session.scalar(
        select(func.max(SyncRun.finished_at)).where(
            SyncRun.source_id == source.id, SyncRun.status == RunStatus.applied.value
        )
    )


def next_run(source: SyncSource, now: datetime | None = None) -> datetime | None:
    """When the schedule reads *source* next (None: only by hand)."""
    if not source.enabled or source.schedule not in SCHEDULE_PERIOD:
        return None
    now = now or utcnow()
    if source.schedule == Schedule.hourly.value:
        return now.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    at = now.replace(hour=source.schedule_hour, minute=0, second=0, microsecond=0)
    step = SCHEDULE_PERIOD[source.schedule]
    if source.schedule == Schedule.weekly.value:
        at -= timedelta(days=at.weekday())  # Mondays
    while at <= now:
        at += step
    return at


def is_due(source: SyncSource, now: datetime | None = None) -> bool:
    """Whether the schedule's latest slot has passed without a run of *source* started since."""
    if not source.enabled or source.schedule not in SCHEDULE_PERIOD or source.deactivated_at is not None:
        return False
    now = now or utcnow()
    slot = next_run(source, now - SCHEDULE_PERIOD[source.schedule])
    if slot is None or slot > now:
        return False
    started = db.session.scalar(
        select(func.max(SyncRun.started_at)).where(
            SyncRun.source_id == source.id, SyncRun.trigger == "scheduled"
        )
    )
    # A new source waits for its first slot; after that, each slot gets one run.
    since = max(started, source.created_at) if started is not None else source.created_at
    return since < slot


def enqueue_due_runs(now: datetime | None = None) -> int:
    """Start the preview of every due source of this tenant; return how many were started."""
    started = 0
    for source in db.session.scalars(select(SyncSource).where(SyncSource.deactivated_at.is_(None))):
        if is_due(source, now) and live_run(source) is None:
            start_preview(source, trigger="scheduled")
            started += 1
    return started


def is_stale(source: SyncSource, now: datetime | None = None) -> bool:
    """Whether *source* has not succeeded for longer than its schedule (plus an hour's grace)."""
    if not source.enabled or source.schedule not in SCHEDULE_PERIOD:
        return False
    now = now or utcnow()
    since = last_success(source) or source.created_at
    return now - since > SCHEDULE_PERIOD[source.schedule] + timedelta(hours=1)


def warn_about_stale_sources(now: datetime | None = None) -> int:
    """Email the admins about each source gone stale (once per stale spell); return how many."""
    warned = 0
    for source in db.session.scalars(select(SyncSource).where(SyncSource.deactivated_at.is_(None))):
        if not is_stale(source, now):
            source.stale_notified_at = None
            continue
        if source.stale_notified_at is not None:
            continue
        subject = _("HR sync “%(name)s” has not succeeded for a while", name=source.name)
        since = last_success(source)
        body = "\n".join(
            [
                _(
                    "People data from “%(name)s” is out of date: its last successful run was %(when)s.",
                    name=source.name,
                    when=since.strftime("%Y-%m-%d %H:%M UTC") if since else _("never"),
                ),
                _("Look at its runs: %(url)s", url=_portal_url("/admin/integrations")),
            ]
        )
        for admin in admins():
            mail_person(admin, subject, body)
        source.stale_notified_at = now or utcnow()
        warned += 1
    return warned


def summary(source: SyncSource) -> dict[str, Any]:
    """What the Integrations panel shows about *source*."""
    runs = latest_runs(source, 1)
    last = runs[0] if runs else None
    return {
        "source": source,
        "last": last,
        "next_run": next_run(source),
        "stale": is_stale(source),
    }
