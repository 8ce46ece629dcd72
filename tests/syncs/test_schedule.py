"""Scheduled HR syncs: due sources start their preview, and stale sources are reported to the admins."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from app.syncs.models import SyncRun
from app.syncs.services import runs
from app.tenancy import as_tenant


def test_a_daily_source_is_due_once_its_hour_has_passed(db, tenant_factory, make_source):
    tenant = tenant_factory()
    source = make_source(tenant, schedule="daily", schedule_hour="6")
    with as_tenant(tenant):
        source = db.session.merge(source)
        source.created_at = datetime(2026, 12, 1, tzinfo=UTC)
        morning = datetime(2026, 12, 5, 5, 0, tzinfo=UTC)
        assert runs.next_run(source, morning) == datetime(2026, 12, 5, 6, 0, tzinfo=UTC)
        assert runs.is_due(source, morning)  # yesterday's 06:00 has passed without a run
        db.session.add(
            SyncRun(
                source_id=source.id,
                trigger="scheduled",
                status="applied",
                started_at=morning - timedelta(hours=1),
            )
        )
        db.session.flush()
        assert not runs.is_due(source, morning)
        assert runs.is_due(source, datetime(2026, 12, 5, 6, 1, tzinfo=UTC))
        source.schedule = "off"
        assert runs.next_run(source, morning) is None and not runs.is_due(source, morning)


def test_a_stale_source_is_emailed_to_the_admins_once(db, tenant_factory, user_factory, make_source, mailbox):
    tenant = tenant_factory()
    admin = user_factory(tenant, "ops@example.com", roles=("tenant_admin",), full_name="Ola Ops")
    source = make_source(tenant, name="Payroll", schedule="daily")
    later = datetime.now(UTC) + timedelta(days=3)
    with as_tenant(tenant):
        assert runs.is_stale(db.session.merge(source), later)
        assert runs.warn_about_stale_sources(later) == 1
        db.session.commit()
        message = mailbox.wait_for(admin.email)
        assert "Payroll" in message["Subject"] and "has not succeeded" in message["Subject"]
        assert runs.warn_about_stale_sources(later) == 0  # once per stale spell


def test_the_cron_fan_out_starts_each_tenants_due_runs(db, tenant_factory, make_source):
    from sqlalchemy import select

    from app.syncs import jobs

    tenant = tenant_factory()
    source = make_source(tenant, schedule="hourly")
    with as_tenant(tenant):
        source = db.session.merge(source)
        source.created_at = datetime.now(UTC) - timedelta(hours=2)
        db.session.commit()
    assert jobs.start_due_runs_everywhere() >= 1  # jobs run inline here, as on a machine without Redis
    with as_tenant(tenant):
        [run] = db.session.scalars(select(SyncRun).where(SyncRun.source_id == source.id)).all()
        # The test readers need an uploaded file: the scheduled run failed, saying why.
        assert run.trigger == "scheduled" and run.status == "failed" and "Upload a CSV file" in run.error
    assert jobs.start_due_runs_everywhere() >= 1
    with as_tenant(tenant):
        assert len(db.session.scalars(select(SyncRun).where(SyncRun.source_id == source.id)).all()) == 1
