"""Run one job inside the application with its tenant restored."""

from __future__ import annotations

import logging
from typing import Any

from app import jobs
from app.actors import SYSTEM, acting_as
from app.extensions import db
from app.tenancy import context as tenancy_context

log = logging.getLogger("atrium.jobs")


def run_job(
    tenant_id: int | None, path: str, args: list[Any], kwargs: dict[str, Any], outbox_id: int | None = None
) -> Any:
    """Call the job function as *tenant_id* and commit once, at the end, if it succeeded.

    A job from the outbox is marked done in that same commit, so a second delivery of it (sent
    twice, or retried after its worker was killed past the commit) finds it done and does nothing.
    """
    fn = jobs.resolve(path)
    token = tenancy_context.set_tenant(tenant_id) if tenant_id is not None else None
    # A job without a tenant is the platform's (the nightly fan-out, the outbox sweep): it runs as
    # the platform database role, which alone sees every tenant's outbox rows.
    platform = tenancy_context.open_platform(f"platform job {path}") if tenant_id is None else None
    try:
        if outbox_id is not None and not jobs.claim_for_run(outbox_id):
            log.info("jobs.already_done", extra={"outbox_id": outbox_id})
            db.session.rollback()
            return None
        with acting_as(SYSTEM):
            result = fn(*args, **kwargs)
        if outbox_id is not None:
            jobs.mark_done(outbox_id)
        db.session.commit()
        return result
    except BaseException as exc:
        db.session.rollback()
        if outbox_id is not None and isinstance(exc, Exception):
            jobs.record_failure(outbox_id, exc, final=_last_attempt())
        raise
    finally:
        db.session.remove()
        if platform is not None:
            tenancy_context.close_platform(platform)
        if token is not None:
            tenancy_context.reset(token)


def _last_attempt() -> bool:
    """Whether RQ will not try the current job again after this failure."""
    from rq import get_current_job

    job = get_current_job()
    return job is None or not job.retries_left
