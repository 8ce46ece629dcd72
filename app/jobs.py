"""Background jobs: RQ when REDIS_URL is set, inline otherwise; every job carries its tenant."""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable
from typing import Any

from flask import current_app
from sqlalchemy import event
from sqlalchemy.orm import Session

from app.extensions import db
from app.tenancy import context as tenancy_context

log = logging.getLogger("atrium.jobs")

QUEUES = ("default", "certificates", "sync", "webhooks", "reports")
_PENDING_KEY = "atrium_pending_jobs"


def function_path(fn: Callable[..., Any] | str) -> str:
    if isinstance(fn, str):
        return fn
    return f"{fn.__module__}:{fn.__qualname__}"


def resolve(path: str) -> Callable[..., Any]:
    module_name, _, attr = path.partition(":")
    target: Any = importlib.import_module(module_name)
    for part in attr.split("."):
        target = getattr(target, part)
    return target


def redis_connection() -> Any:
    from redis import Redis

    return Redis.from_url(current_app.config["REDIS_URL"])


def enqueue(fn: Callable[..., Any] | str, *args: Any, queue: str = "default", **kwargs: Any) -> str | None:
    """Run *fn* as a job of the current tenant.

    With Redis the job is sent to RQ once the current transaction commits (so
    the worker sees what the caller wrote); without it, it runs inline now.
    Returns the RQ job id, or None for an inline run.
    """
    if queue not in QUEUES:
        raise ValueError(f"unknown queue {queue!r}")
    path = function_path(fn)
    tenant_id = tenancy_context.current_tenant_id()
    if not current_app.config.get("REDIS_URL"):
        run_inline(tenant_id, path, args, kwargs)
        return None
    from rq import Queue
    from rq.job import Job

    job = Job.create(
        "workers.runner.run_job",
        args=(tenant_id, path, list(args), kwargs),
        connection=redis_connection(),
        origin=queue,
        description=f"{path} (tenant {tenant_id})",
        meta={"tenant_id": tenant_id},
    )
    session = db.session()
    if session.in_transaction():
        session.info.setdefault(_PENDING_KEY, []).append((queue, job))
    else:
        Queue(queue, connection=job.connection).enqueue_job(job)
    return job.id


def run_inline(tenant_id: int | None, path: str, args: Any, kwargs: Any) -> Any:
    fn = resolve(path)
    if tenant_id is None:
        return fn(*args, **kwargs)
    with tenancy_context.as_tenant(tenant_id):
        return fn(*args, **kwargs)


@event.listens_for(Session, "after_commit")
def _send_pending_jobs(session: Session) -> None:
    pending = session.info.pop(_PENDING_KEY, [])
    if not pending:
        return
    from rq import Queue

    for queue, job in pending:
        Queue(queue, connection=job.connection).enqueue_job(job)


@event.listens_for(Session, "after_rollback")
def _drop_pending_jobs(session: Session) -> None:
    if session.info.pop(_PENDING_KEY, None):
        log.info("jobs.dropped_after_rollback")
