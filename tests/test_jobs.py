"""Jobs carry their tenant: inline without Redis, in a real worker process with it."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import select

from app.accounts.jobs import record_usage_snapshot
from app.audit.models import AuditEvent
from app.jobs import enqueue
from app.tenancy import as_tenant
from tests.conftest import REDIS_URL


def _snapshots(db, tenant) -> list[dict]:
    with as_tenant(tenant):
        db.session.rollback()
        rows = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "usage.snapshot")).all()
        return [row.after for row in rows]


def test_job_enqueued_in_a_tenant_sees_only_that_tenants_rows(db, worker, tenant_factory, user_factory):
    a, b = tenant_factory(), tenant_factory()
    for _ in range(2):
        user_factory(a)
    for _ in range(3):
        user_factory(b)
    with as_tenant(a):
        job_id = enqueue(record_usage_snapshot, queue="reports")
        db.session.commit()
    if REDIS_URL:
        assert job_id is not None
        deadline = time.monotonic() + 30
        while not _snapshots(db, a):
            assert time.monotonic() < deadline, "the worker did not run the job"
            time.sleep(0.2)
    else:
        assert job_id is None  # ran inline
    assert _snapshots(db, a) == [{"active_people": 2}]
    assert _snapshots(db, b) == []


@pytest.mark.redis
def test_job_is_not_sent_when_the_transaction_rolls_back(db, worker, tenant_factory):
    from redis import Redis
    from rq import Queue

    tenant = tenant_factory()
    queue = Queue("sync", connection=Redis.from_url(REDIS_URL))
    before = queue.count
    with as_tenant(tenant):
        db.session.execute(select(AuditEvent.id).limit(1))  # a transaction is open
        enqueue(record_usage_snapshot, queue="sync")
        db.session.rollback()
    assert queue.count == before


@pytest.mark.redis
def test_readyz_reports_a_live_worker(worker, client_for, tenant_factory):
    body = client_for(tenant_factory()).get("/readyz").get_json()
    assert body["checks"]["redis"]["ok"] is True
    assert body["checks"]["workers"]["ok"] is True
    assert body["checks"]["workers"]["alive"] >= 1


def test_a_job_path_names_a_module_level_function_and_resolves_back_to_it():
    from app.jobs import function_path, resolve

    path = function_path(record_usage_snapshot)
    assert path == "app.accounts.jobs:record_usage_snapshot"
    assert resolve(path) is record_usage_snapshot

    def nested() -> None:
        """A function the worker could not import by its name."""

    with pytest.raises(ValueError, match="module-level"):
        function_path(nested)
    with pytest.raises(ImportError):
        resolve("app.accounts.jobs:no_such_job")
