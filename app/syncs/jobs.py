"""The sync queue's jobs: preview a run, apply it, and the periodic fan-out over every tenant."""

from __future__ import annotations

import logging

from app.extensions import db
from app.jobs import enqueue
from app.syncs.services import runs
from app.tenancy.iteration import for_each_tenant

log = logging.getLogger("atrium.syncs")


def preview_run(run_id: int) -> None:
    """Read the run's source and store its diff (a scheduled run may then apply itself)."""
    run = runs.get_run(run_id)
    if run is None or run.status != "previewing":
        return
    runs.run_preview(run)


def apply_run(run_id: int) -> None:
    """Apply the run's changes in batches, each committed with its markers."""
    run = runs.get_run(run_id)
    if run is None or run.status != "applying":
        return
    runs.apply_now(run)


def start_due_runs() -> int:
    """This tenant's sources whose schedule has come round: their previews are queued."""
    return runs.enqueue_due_runs()


def warn_stale() -> int:
    """Email this tenant's admins about sources that have not succeeded for longer than their schedule."""
    count = runs.warn_about_stale_sources()
    db.session.flush()
    return count


def start_due_runs_everywhere() -> int:
    """Queue, for every active tenant, the start of its due scheduled runs."""
    outcomes = for_each_tenant(
        lambda tenant: enqueue("app.syncs.jobs:start_due_runs", queue="sync"), what="starting due HR syncs"
    )
    return sum(1 for o in outcomes if o.ok)


def warn_stale_everywhere() -> int:
    """Queue, for every active tenant, the check for HR sources gone stale."""
    outcomes = for_each_tenant(
        lambda tenant: enqueue("app.syncs.jobs:warn_stale", queue="sync"), what="checking stale HR syncs"
    )
    return sum(1 for o in outcomes if o.ok)
