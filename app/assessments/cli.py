"""``flask assessments close-expired``: submit quiz attempts whose time ran out, tenant by tenant."""

from __future__ import annotations

from typing import Any

import click
from flask.cli import AppGroup

from app.actors import CLI_ACTOR, acting_as
from app.assessments import services
from app.tenancy.cli import TenantRunReport, run_for_each_tenant
from app.tenancy.iteration import TenantOutcome
from app.tenancy.models import Tenant

assessments_group = AppGroup("assessments", help="Quizzes and attempts.")


class _ClosingReport(TenantRunReport):
    """Also name the attempts that could not be closed in a tenant whose other attempts were."""

    def __call__(self, outcome: TenantOutcome[Any]) -> None:
        super().__call__(outcome)
        failed = outcome.result[1] if outcome.result is not None else []
        if failed:
            ids = ", ".join(str(attempt_id) for attempt_id in failed)
            self.problems.append(f"{outcome.slug}: attempts {ids} could not be closed")
            click.echo(f"{outcome.slug}: could not close attempts {ids} (see the log)", err=True)


@assessments_group.command("close-expired")
@click.option("--tenant", "slug", default=None, help="Only this tenant (default: every active tenant).")
def close_expired(slug: str | None) -> None:
    """Submit quiz attempts whose time ran out (what the worker's cron does every 15 minutes)."""

    def close(tenant: Tenant) -> tuple[int, list[int]]:
        failed: list[int] = []
        return services.close_expired_attempts(failed=failed), failed

    report = _ClosingReport(lambda result: f"{result[0]} closed")
    with acting_as(CLI_ACTOR):
        run_for_each_tenant(close, report, only=slug, what="closing expired attempts")
    report.exit_if_problems("Some expired attempts were not closed")
