"""``flask certifications sweep|digest``: move records the clock has reached and queue due reminders, or send
managers this week's digest, now."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from app.actors import CLI_ACTOR, acting_as
from app.tenancy.cli import TenantRunReport, run_for_each_tenant

certifications_group = AppGroup("certifications", help="Certifications: the sweep and reminders.")


@certifications_group.command("sweep")
@click.option("--tenant", "slug", default=None, help="Only this tenant (default: every active tenant).")
def sweep(slug: str | None) -> None:
    """Run the nightly certification sweep now; print what moved and how many reminders were queued."""
    from app.certifications.jobs import sweep_tenant

    report = TenantRunReport(
        lambda c: f"{c['expiring']} expiring, {c['expired']} expired, {c['reminders']} reminders"
    )
    with acting_as(CLI_ACTOR):
        run_for_each_tenant(lambda tenant: sweep_tenant(), report, only=slug, what="the certification sweep")
    report.exit_if_problems("Some tenants' certifications were not swept")


@certifications_group.command("digest")
@click.option("--tenant", "slug", default=None, help="Only this tenant (default: every active tenant).")
def digest(slug: str | None) -> None:
    """Send managers this week's digest of their people's expiring and expired certifications now."""
    from app.certifications.jobs import digest_tenant

    report = TenantRunReport(lambda count: f"{count} digests")
    with acting_as(CLI_ACTOR):
        run_for_each_tenant(
            lambda tenant: digest_tenant(), report, only=slug, what="the certification digest"
        )
    report.exit_if_problems("Some tenants' digests were not sent")
