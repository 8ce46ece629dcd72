"""``flask postgres prepare``, and what every tenant-by-tenant command shares (``--tenant``, the report)."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any, TypeVar

import click
from flask.cli import AppGroup

from app.tenancy import services as tenancy
from app.tenancy.iteration import TenantOutcome, UnknownTenant, for_each_tenant
from app.tenancy.models import Tenant

T = TypeVar("T")

postgres_group = AppGroup("postgres", help="Set up PostgreSQL for Atrium.")


@postgres_group.command("prepare")
@click.option(
    "--admin-url", required=True, help="A superuser connection, e.g. postgresql://postgres@host/postgres"
)
@click.option("--database", default="atrium", show_default=True)
@click.option("--owner", default="atrium_owner", show_default=True, help="Owns the schema; runs migrations.")
@click.option("--app-role", default="atrium_app", show_default=True, help="What the application connects as.")
def postgres_prepare(admin_url: str, database: str, owner: str, app_role: str) -> None:
    """Create the owner, application and platform roles and the database; print the URLs to use."""
    from app.tenancy.postgres import prepare_database

    urls = prepare_database(admin_url, database, owner=owner, app_role=app_role)
    click.echo(f"DATABASE_URL={urls.app}")
    click.echo(f"MIGRATION_DATABASE_URL={urls.owner}")
    click.echo(f"PLATFORM_DATABASE_URL={urls.platform}")
    click.echo(
        "Set passwords for the three roles (ALTER ROLE ... PASSWORD ...) unless you use peer or cert auth"
    )


def tenant_or_fail(slug: str) -> Tenant:
    """The tenant at *slug* (never the platform), or a clean CLI error naming it."""
    tenant = tenancy.get_tenant_by_slug(slug)
    if tenant is None or tenant.is_platform:
        raise click.ClickException(f"no tenant {slug!r}")
    return tenant


class TenantRunReport:
    """Echo each tenant's outcome as it comes, collect what went wrong, exit 1 at the end if anything did."""

    def __init__(self, describe: Callable[[Any], str]) -> None:
        self.describe = describe
        self.problems: list[str] = []

    def __call__(self, outcome: TenantOutcome[Any]) -> None:
        if outcome.ok:
            click.echo(f"{outcome.slug}: {self.describe(outcome.result)}")
            return
        error = outcome.error
        self.problems.append(f"{outcome.slug}: failed ({type(error).__name__}: {error})")
        click.echo(f"{outcome.slug}: FAILED: {type(error).__name__}: {error}", err=True)

    def exit_if_problems(self, heading: str) -> None:
        if self.problems:
            click.echo(f"{heading}:\n  " + "\n  ".join(self.problems), err=True)
            sys.exit(1)


def run_for_each_tenant(
    fn: Callable[[Tenant], T], report: TenantRunReport, *, only: str | None, what: str
) -> list[TenantOutcome[T]]:
    """:func:`for_each_tenant` for a command: an unknown ``--tenant`` is a clean CLI error."""
    try:
        return for_each_tenant(fn, only=only, what=what, report=report)
    except UnknownTenant as exc:
        raise click.ClickException(str(exc)) from None
