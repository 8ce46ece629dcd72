"""``flask compliance snapshot``: record this week's compliance of every unit now, as the Monday cron does."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from app.actors import CLI_ACTOR, acting_as
from app.tenancy.cli import TenantRunReport, run_for_each_tenant

compliance_group = AppGroup("compliance", help="Compliance: the weekly snapshots of the roll-up's trend.")


@compliance_group.command("snapshot")
@click.option("--tenant", "slug", default=None, help="Only this tenant (default: every active tenant).")
def snapshot(slug: str | None) -> None:
    """Record this week's compliance of every unit and of the whole tenant; again the same week updates it."""
    from app.compliance.jobs import record_weekly_snapshots

    report = TenantRunReport(lambda count: f"{count} snapshots")
    with acting_as(CLI_ACTOR):
        run_for_each_tenant(
            lambda tenant: record_weekly_snapshots(), report, only=slug, what="the compliance snapshots"
        )
    report.exit_if_problems("Some tenants' compliance snapshots were not recorded")
