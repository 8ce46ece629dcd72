"""Each tenant's audit log is a hash chain; `flask audit verify` finds the first broken link."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, select, text

from app.audit.models import AuditEvent
from app.audit.services import record
from app.audit.verification import verify_chain
from app.tenancy import as_tenant


@pytest.fixture
def owner_engine(app):
    """A connection as the schema owner: the application role may not alter audit rows at all."""
    engine = create_engine(app.config["MIGRATION_DATABASE_URL"])
    yield engine
    engine.dispose()


def _tamper(owner_engine, sql: str, **params) -> None:
    with owner_engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            # The owner is subject to FORCE ROW LEVEL SECURITY too; the forger works inside the tenant.
            conn.execute(text("SELECT set_config('app.tenant_id', :t, true)"), {"t": str(params["t"])})
        conn.execute(text(sql), params)


def _tenant_with_events(db, tenant_factory, n: int = 4):
    tenant = tenant_factory()
    with as_tenant(tenant):
        for i in range(n):
            record("test.step", after={"step": i})
        db.session.commit()
    return tenant


def test_intact_chain_verifies(app, db, tenant_factory):
    tenant = _tenant_with_events(db, tenant_factory)
    result = app.test_cli_runner().invoke(args=["audit", "verify", "--tenant", tenant.slug])
    assert result.exit_code == 0, result.output
    assert f"{tenant.slug}: ok (5 events)" in result.output  # tenant.created + 4


def test_altered_row_breaks_the_chain_at_that_row(app, db, tenant_factory, owner_engine):
    tenant = _tenant_with_events(db, tenant_factory)
    _tamper(
        owner_engine,
        "UPDATE audit_events SET actor_label = 'someone else' WHERE tenant_id = :t AND seq = 3",
        t=tenant.id,
    )
    result = app.test_cli_runner().invoke(args=["audit", "verify", "--tenant", tenant.slug])
    assert result.exit_code == 1
    assert "BROKEN at seq 3" in result.output
    assert "altered" in result.output


def test_deleted_row_breaks_the_chain(app, db, tenant_factory, owner_engine):
    tenant = _tenant_with_events(db, tenant_factory)
    _tamper(owner_engine, "DELETE FROM audit_events WHERE tenant_id = :t AND seq = 2", t=tenant.id)
    result = app.test_cli_runner().invoke(args=["audit", "verify", "--tenant", tenant.slug])
    assert result.exit_code == 1
    assert "BROKEN at seq 2" in result.output
    assert "missing" in result.output


def test_deleting_the_newest_rows_is_detected(app, db, tenant_factory, owner_engine):
    tenant = _tenant_with_events(db, tenant_factory)
    _tamper(owner_engine, "DELETE FROM audit_events WHERE tenant_id = :t AND seq >= 4", t=tenant.id)
    with as_tenant(tenant):
        report = verify_chain(tenant.id)
    assert not report.ok
    assert "removed" in report.problem


def test_verify_without_tenant_checks_all_and_fails_if_any_is_broken(app, db, tenant_factory, owner_engine):
    good = _tenant_with_events(db, tenant_factory)
    bad = _tenant_with_events(db, tenant_factory)
    _tamper(owner_engine, "UPDATE audit_events SET after = NULL WHERE tenant_id = :t AND seq = 2", t=bad.id)
    result = app.test_cli_runner().invoke(args=["audit", "verify"])
    assert result.exit_code == 1
    assert f"{good.slug}: ok" in result.output
    assert f"{bad.slug}: BROKEN at seq 2" in result.output


def test_events_record_actor_target_and_change(db, tenant_factory, user_factory):
    tenant = tenant_factory()
    user = user_factory(tenant, "river@example.com")
    with as_tenant(tenant):
        event = db.session.scalars(
            select(AuditEvent).where(
                AuditEvent.action == "user.created", AuditEvent.target_id == str(user.id)
            )
        ).one()
    assert event.target_type == "User"
    assert event.target_label == "river@example.com"
    assert event.after["email"] == "river@example.com"
    assert event.actor_type == "system"
    assert len(event.hash) == 64 and event.prev_hash != event.hash
