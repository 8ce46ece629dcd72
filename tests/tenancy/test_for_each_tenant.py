"""``for_each_tenant``: platform work tenant by tenant, each committed on its own, one failure isolated."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.accounts.models import Group
from app.console.services import suspend_tenant
from app.tenancy import as_tenant
from app.tenancy.context import current_tenant_id
from app.tenancy.iteration import UnknownTenant, for_each_tenant
from app.tenancy.services import get_tenant_by_slug
from tests.conftest import unique_slug


def _groups(db, tenant):
    with as_tenant(tenant):
        db.session.expire_all()
        return list(db.session.scalars(select(Group.name)))


def test_each_active_tenant_runs_as_itself_and_a_failure_is_rolled_back_and_logged(
    db, tenant_factory, caplog
):
    failing = tenant_factory(slug=unique_slug("a0"))  # sorted before the healthy one
    healthy = tenant_factory(slug=unique_slug("zz"))
    resting = tenant_factory(slug=unique_slug("b0"))
    suspend_tenant(resting)
    db.session.commit()
    mine = {failing.id, healthy.id, resting.id}
    seen: list[int] = []

    def add_a_group(tenant):
        assert current_tenant_id() == tenant.id
        if tenant.id not in mine:
            return None
        seen.append(tenant.id)
        db.session.add(Group(name="Night shift"))
        db.session.flush()
        if tenant.id == failing.id:
            raise RuntimeError("disk full")
        return tenant.slug

    outcomes = for_each_tenant(add_a_group, what="adding groups")

    assert seen == [failing.id, healthy.id]  # by slug; the suspended tenant and the platform are left alone
    by_id = {outcome.tenant_id: outcome for outcome in outcomes}
    assert not by_id[failing.id].ok and isinstance(by_id[failing.id].error, RuntimeError)
    assert by_id[healthy.id].ok and by_id[healthy.id].result == healthy.slug
    assert resting.id not in by_id
    assert all(not get_tenant_by_slug(o.slug).is_platform for o in outcomes)
    assert _groups(db, failing) == []  # rolled back
    assert _groups(db, healthy) == ["Night shift"]  # committed, although a tenant before it failed
    assert f"adding groups failed for tenant {failing.id} ({failing.slug})" in caplog.text


def test_only_runs_the_named_tenant_even_when_suspended_and_refuses_unknown_ones(db, tenant_factory):
    tenant = tenant_factory()
    suspend_tenant(tenant)
    db.session.commit()
    reported = []

    outcomes = for_each_tenant(lambda t: t.slug, only=tenant.slug, report=reported.append)

    assert [(o.slug, o.result) for o in outcomes] == [(tenant.slug, tenant.slug)]
    assert reported == outcomes
    with pytest.raises(UnknownTenant):
        for_each_tenant(lambda t: None, only="no-such-tenant")
    with pytest.raises(UnknownTenant):
        for_each_tenant(lambda t: None, only="platform")


def test_the_rules_command_reports_a_failing_tenant_carries_on_and_exits_1(
    app, db, tenant_factory, monkeypatch
):
    from app.learning.services import rules

    failing, healthy = tenant_factory(slug=unique_slug("a0")), tenant_factory(slug=unique_slug("zz"))
    run_all = rules.run_all_rules

    def fail_for_one_tenant():
        if current_tenant_id() == failing.id:
            raise RuntimeError("connection lost")
        return run_all()

    monkeypatch.setattr(rules, "run_all_rules", fail_for_one_tenant)
    result = app.test_cli_runner().invoke(args=["rules", "run-all"])

    assert result.exit_code == 1
    assert f"{failing.slug}: FAILED: RuntimeError: connection lost" in result.output
    assert f"{healthy.slug}: 0 enrolled" in result.output
    assert f"{failing.slug}: failed (RuntimeError: connection lost)" in result.output
    unknown = app.test_cli_runner().invoke(args=["rules", "run-all", "--tenant", "no-such-tenant"])
    assert unknown.exit_code == 1 and "no tenant 'no-such-tenant'" in unknown.output
