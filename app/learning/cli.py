"""``flask rules run-all``: run every active enrolment rule of each tenant now."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from app.actors import CLI_ACTOR, acting_as
from app.learning.services import rules
from app.tenancy.cli import TenantRunReport, run_for_each_tenant

rules_group = AppGroup("rules", help="Enrolment rules.")


@rules_group.command("run-all")
@click.option("--tenant", "slug", default=None, help="Only this tenant (default: every active tenant).")
def run_all_rules(slug: str | None) -> None:
    """Run every active enrolment rule now (what the nightly job does); print how many were enrolled."""
    report = TenantRunReport(lambda enrolled: f"{enrolled} enrolled")
    with acting_as(CLI_ACTOR):
        run_for_each_tenant(lambda tenant: rules.run_all_rules(), report, only=slug, what="running rules")
    report.exit_if_problems("Some tenants' rules did not run")
