"""Background jobs: RQ when REDIS_URL is set, inline otherwise; every job carries its tenant.

With Redis, a job is first a row of the ``job_outbox`` table written in the caller's transaction,
and is sent to RQ once that transaction commits. Redis down leaves the row pending: it is sent when
Redis is back, by a later commit's flush, by the ``drain`` run every minute, or by ``flask jobs
drain``. The row's id is the RQ job's id, and the runner marks the row done in the job's own
transaction, so a job delivered twice runs its work once.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from flask import current_app, has_app_context
from sqlalchemy import JSON, ForeignKey, Integer, String, Table, Text, event, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column
from werkzeug.utils import import_string

from app.db_types import UtcDateTime
from app.extensions import Model, db
from app.inputs import is_ascii_digits
from app.tenancy import context as tenancy_context
from app.tenancy.models import utcnow
from app.tenancy.session import platform_engine

log = logging.getLogger("atrium.jobs")

QUEUES = ("default", "certificates", "sync", "webhooks", "reports")
_PENDING_KEY = "atrium_pending_jobs"
# A job still running after this long is stopped by RQ and counts as a failed attempt.
JOB_TIMEOUTS = {"default": 600, "certificates": 300, "sync": 1800, "webhooks": 120, "reports": 1800}
# Failed attempts are tried again after 10 s, 1 min and 5 min before the job is marked failed.
RETRY_INTERVALS = [10, 60, 300]
# How often a process looks for jobs other processes could not send, and how long it leaves Redis
# alone after failing to reach it (so an outage does not cost every request a connection timeout).
BACKLOG_CHECK_SECONDS = 30
REDIS_BACKOFF_SECONDS = 10


class JobStatus:
    pending = "pending"  # recorded, not yet in Redis
    sent = "sent"  # in RQ: queued, running or waiting for a retry
    done = "done"
    failed = "failed"  # every attempt failed; someone may try again


class JobOutbox(Model):
    """A job recorded with the change that asked for it; the worker restores *tenant_id*.

    Not TenantScoped (platform jobs have no tenant), but on PostgreSQL row-level security shows
    the application role only the rows of the tenant in context; sending, draining, sweeping and
    tenant-less jobs run as the platform role, which sees them all (migration 0012)."""

    __tablename__ = "job_outbox"

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int | None] = mapped_column(ForeignKey("tenants.id"), index=True)
    queue: Mapped[str] = mapped_column(String(20))
    function: Mapped[str] = mapped_column(String(200))
    args: Mapped[list] = mapped_column(JSON, default=list)
    kwargs: Mapped[dict] = mapped_column(JSON, default=dict)
    # What the job is about ("policy-receipt:12"): one live job per key, and pages find its status.
    key: Mapped[str | None] = mapped_column(String(200), index=True)
    status: Mapped[str] = mapped_column(String(20), default=JobStatus.pending, index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime())

    @property
    def rq_id(self) -> str:
        return rq_job_id(self.id)

    @property
    def is_live(self) -> bool:
        return self.status in (JobStatus.pending, JobStatus.sent)

    def age(self) -> timedelta:
        """How long ago the job was asked for."""
        return utcnow() - self.created_at


def _table() -> Table:
    """The outbox as a Core table, for statements on connections of their own (outside the session)."""
    table = JobOutbox.__table__
    assert isinstance(table, Table)
    return table


def rq_job_id(outbox_id: int) -> str:
    return f"atrium-job-{outbox_id}"


def outbox_id_of(rq_id: str) -> int | None:
    prefix = "atrium-job-"
    number = rq_id[len(prefix) :]
    return int(number) if rq_id.startswith(prefix) and is_ascii_digits(number) and len(number) <= 18 else None


def function_path(fn: Callable[..., Any] | str) -> str:
    if isinstance(fn, str):
        return fn
    if "." in fn.__qualname__:  # a method or a nested function: the worker could not import it by name
        raise ValueError(f"{fn.__qualname__} is not a module-level function, so it cannot run as a job")
    return f"{fn.__module__}:{fn.__qualname__}"


def resolve(path: str) -> Callable[..., Any]:
    """The job function named by *path* (``module:function``)."""
    target: Callable[..., Any] = import_string(path)
    return target


def redis_connection() -> Any:
    from redis import Redis

    # Short timeouts: an unreachable Redis leaves jobs pending, it must not hold a request.
    return Redis.from_url(current_app.config["REDIS_URL"], socket_connect_timeout=2, socket_timeout=5)


def enqueue(
    fn: Callable[..., Any] | str,
    *args: Any,
    queue: str = "default",
    job_key: str | None = None,
    **kwargs: Any,
) -> str | None:
    """Run *fn* as a job of the current tenant.

    With Redis the job is recorded in the outbox now and sent to RQ once the current transaction
    commits (so the worker sees what the caller wrote; a rollback sends nothing); without it, it
    runs inline now. *job_key* names what the job is about: while a job with that key is pending or
    running, no second one is recorded. Returns the RQ job id, or None for an inline run.
    """
    if queue not in QUEUES:
        raise ValueError(f"unknown queue {queue!r}")
    path = function_path(fn)
    tenant_id = tenancy_context.current_tenant_id()
    if not current_app.config.get("REDIS_URL"):
        run_inline(tenant_id, path, args, kwargs)
        return None
    if job_key is not None:
        live = latest_job(job_key)
        if live is not None and live.is_live:
            return live.rq_id
    row = JobOutbox(
        tenant_id=tenant_id, queue=queue, function=path, args=list(args), kwargs=kwargs, key=job_key
    )
    session = db.session()
    session.add(row)
    session.flush()
    session.info.setdefault(_PENDING_KEY, []).append(row.id)
    return row.rq_id


def latest_job(job_key: str) -> JobOutbox | None:
    """The most recent job recorded for *job_key* (of the current tenant), if any."""
    return db.session.scalars(
        select(JobOutbox)
        .where(JobOutbox.key == job_key, JobOutbox.tenant_id == tenancy_context.current_tenant_id())
        .order_by(JobOutbox.id.desc())
        .limit(1)
    ).first()


def run_inline(tenant_id: int | None, path: str, args: Any, kwargs: Any) -> Any:
    fn = resolve(path)
    if tenant_id is None:
        return fn(*args, **kwargs)
    with tenancy_context.as_tenant(tenant_id):
        return fn(*args, **kwargs)


# ---------------------------------------------------------------- sending


_redis_down_until = 0.0
_last_backlog_check = 0.0
_redis_reported_down = False  # warn once per outage, not once per request


def _rq_job(row: Any, connection: Any) -> Any:
    from rq import Retry
    from rq.job import Job

    return Job.create(
        "workers.runner.run_job",
        args=(row.tenant_id, row.function, list(row.args or []), dict(row.kwargs or {}), row.id),
        connection=connection,
        id=rq_job_id(row.id),
        origin=row.queue,
        description=f"{row.function} (tenant {row.tenant_id})",
        meta={"tenant_id": row.tenant_id, "outbox_id": row.id},
        timeout=JOB_TIMEOUTS[row.queue],
        retry=Retry(max=len(RETRY_INTERVALS), interval=RETRY_INTERVALS),
        failure_ttl=7 * 24 * 3600,
    )


def send(ids: list[int]) -> int:
    """Send the pending outbox rows *ids* to RQ; return how many were sent.

    Each row is claimed by a conditional update, so two processes never both send it; if Redis
    cannot be reached the claim is rolled back and the row stays pending.
    """
    global _redis_down_until, _redis_reported_down
    if not ids or time.monotonic() < _redis_down_until:
        return 0
    from redis.exceptions import RedisError
    from rq import Queue

    connection = redis_connection()
    sent = 0
    table = _table()
    for outbox_id in ids:
        try:
            with platform_engine().begin() as conn:
                claimed = conn.execute(
                    update(table)
                    .where(table.c.id == outbox_id, table.c.status == JobStatus.pending)
                    .values(status=JobStatus.sent, sent_at=utcnow())
                ).rowcount
                if not claimed:
                    continue
                row = conn.execute(select(table).where(table.c.id == outbox_id)).one()
                Queue(row.queue, connection=connection).enqueue_job(_rq_job(row, connection))
                sent += 1
        except RedisError as exc:
            _redis_down_until = time.monotonic() + REDIS_BACKOFF_SECONDS
            if not _redis_reported_down:
                _redis_reported_down = True
                log.warning(
                    "jobs.redis_unreachable: %s; jobs stay pending and are sent when Redis is back", exc
                )
            return sent
    if _redis_reported_down:
        _redis_reported_down = False
        log.warning("jobs.redis_back: sending pending jobs again")
    return sent


def drain(limit: int = 500) -> int:
    """Send jobs recorded while Redis was unreachable; return how many were sent."""
    global _redis_down_until
    _redis_down_until = 0.0  # an explicit drain always tries
    table = _table()
    with platform_engine().connect() as conn:
        ids = list(
            conn.scalars(
                select(table.c.id)
                .where(table.c.status == JobStatus.pending)
                .order_by(table.c.id)
                .limit(limit)
            )
        )
    sent = send(ids)
    if sent:
        log.info("jobs.drained", extra={"sent": sent})
    return sent


@event.listens_for(Session, "after_commit")
def _send_pending_jobs(session: Session) -> None:
    global _last_backlog_check
    ids = session.info.pop(_PENDING_KEY, [])
    if not has_app_context() or not current_app.config.get("REDIS_URL"):
        return
    try:
        send(ids)
        # Now and then, also send what earlier commits (here or elsewhere) left pending.
        if time.monotonic() - _last_backlog_check >= BACKLOG_CHECK_SECONDS:
            _last_backlog_check = time.monotonic()
            if time.monotonic() >= _redis_down_until:
                drain(limit=100)
    except Exception:  # the change is committed: a failure to send must not turn it into an error
        log.exception("jobs.send_failed; the jobs stay pending")


@event.listens_for(Session, "after_rollback")
def _drop_pending_jobs(session: Session) -> None:
    if session.info.pop(_PENDING_KEY, None):
        log.info("jobs.dropped_after_rollback")


# ---------------------------------------------------------------- the runner's bookkeeping


def claim_for_run(outbox_id: int) -> bool:
    """Whether the job *outbox_id* still has to run (False once it is done: a repeated delivery)."""
    row = db.session.get(JobOutbox, outbox_id)
    return row is None or row.status != JobStatus.done


def mark_done(outbox_id: int) -> None:
    """Mark the job done in the job's own transaction, and forget its arguments (a reset link…)."""
    row = db.session.get(JobOutbox, outbox_id)
    if row is not None:
        row.status, row.finished_at, row.args, row.kwargs = JobStatus.done, utcnow(), [], {}
        row.attempts += 1


def record_failure(outbox_id: int, error: BaseException, *, final: bool) -> None:
    """Note a failed attempt in a transaction of its own; *final* marks the job failed."""
    table = _table()
    values: dict[str, Any] = {
        "attempts": table.c.attempts + 1,
        "last_error": f"{type(error).__name__}: {error}",
    }
    if final:
        values.update(status=JobStatus.failed, finished_at=utcnow())
    with platform_engine().begin() as conn:
        conn.execute(
            update(table).where(table.c.id == outbox_id, table.c.status != JobStatus.done).values(**values)
        )


# ---------------------------------------------------------------- the sweeper


# A job whose RQ record vanished (Redis lost its data) is sent again after this long.
LOST_AFTER = timedelta(minutes=30)


def sweep(now: float | None = None) -> dict[str, int]:
    """Finish what killed workers left: retry abandoned jobs, and resend jobs Redis lost.

    A started job whose worker is gone (its record expired, or its process on this machine ended)
    is handed to RQ's ``StartedJobRegistry.cleanup`` at once, which retries it while its ``Retry``
    allows, else moves it to the failed registry; RQ alone would wait for the job's timeout. A job
    abandoned on its last attempt is marked failed here, so its page can offer to try again.
    *now* (a Unix time) is when registry entries count as expired; by default, now. It reads every
    tenant's outbox rows, so it runs as the platform database role.
    """
    with tenancy_context.as_platform("jobs.sweep: every tenant's outbox rows"):
        counts = _sweep(now)
    if counts["resent"]:
        drain()
    if any(counts.values()):
        log.warning("jobs.swept", extra=counts)
    return counts


def _sweep(now: float | None) -> dict[str, int]:
    from rq import Queue
    from rq.exceptions import NoSuchJobError
    from rq.job import Job
    from rq.registry import FailedJobRegistry, StartedJobRegistry

    connection = redis_connection()
    counts = {"abandoned_failed": 0, "resent": 0}
    for name in QUEUES:
        queue = Queue(name, connection=connection)
        started = StartedJobRegistry(queue=queue)
        for rq_id, execution_id in started.get_job_and_execution_ids(cleanup=False):
            if _worker_is_gone(rq_id, connection):
                # Expire the entry now rather than after the job's timeout: cleanup() then retries it.
                connection.zadd(started.key, {f"{rq_id}:{execution_id}": 0}, xx=True)
        started.cleanup(timestamp=now)
        for rq_id in FailedJobRegistry(queue=queue).get_job_ids(cleanup=False):
            outbox_id = outbox_id_of(rq_id)
            row = db.session.get(JobOutbox, outbox_id) if outbox_id is not None else None
            if row is not None and row.status == JobStatus.sent:  # not failed by an exception: abandoned
                row.status, row.finished_at = JobStatus.failed, utcnow()
                row.last_error = "AbandonedJobError: the worker running it stopped on every attempt"
                counts["abandoned_failed"] += 1
    cutoff = utcnow() - LOST_AFTER
    for row in db.session.scalars(
        select(JobOutbox).where(JobOutbox.status == JobStatus.sent, JobOutbox.sent_at < cutoff)
    ):
        try:
            Job.fetch(row.rq_id, connection=connection)
        except NoSuchJobError:
            row.status = JobStatus.pending  # drained after this commit
            counts["resent"] += 1
    db.session.commit()
    return counts


def _worker_is_gone(rq_id: str, connection: Any) -> bool:
    """Whether the worker running *rq_id* no longer exists: its Redis record expired, or it ran on
    this machine and its process has ended (killed: it never said goodbye)."""
    import os
    import socket

    from rq import Worker
    from rq.exceptions import NoSuchJobError
    from rq.job import Job

    try:
        name = Job.fetch(rq_id, connection=connection).worker_name
    except NoSuchJobError:
        return False
    if not name:
        return False
    worker = Worker.find_by_key(Worker.redis_worker_namespace_prefix + name, connection=connection)
    if worker is None:
        return True
    if worker.hostname != socket.gethostname() or not worker.pid:
        return False
    try:
        os.kill(worker.pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # alive, another user's
        return False
    return False


def try_again(job_key: str, fn: Callable[..., Any] | str, *args: Any, queue: str = "default") -> str | None:
    """Ask again for a job that failed or seems stuck: a new attempt, whatever the last one's state."""
    live = latest_job(job_key)
    if live is not None and live.is_live:
        # The stuck one may still finish: the runner's done mark keeps the work from happening twice.
        live.status, live.finished_at = JobStatus.failed, utcnow()
        live.last_error = live.last_error or "superseded by a new attempt"
    return enqueue(fn, *args, queue=queue, job_key=job_key)
