"""``flask tenants …``: create, suspend, resume and list tenants, and give them custom domains."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from app.accounts.services import create_user
from app.actors import CLI_ACTOR, acting_as
from app.console import services as tenants
from app.errors import ValidationError
from app.extensions import db
from app.tenancy import as_tenant
from app.tenancy import services as tenancy
from app.tenancy.cli import tenant_or_fail

tenants_group = AppGroup("tenants", help="Create, suspend, resume and list tenants.")


@tenants_group.command("list")
def list_tenants() -> None:
    """List every tenant with its status."""
    for tenant in tenancy.list_tenants(include_platform=True):
        kind = "platform" if tenant.is_platform else tenant.audience
        click.echo(f"{tenant.slug:<20} {tenant.status:<10} {kind:<10} {tenant.display_name}")


@tenants_group.command("create")
@click.argument("slug")
@click.option("--name", "display_name", required=True, help="The portal's display name.")
@click.option(
    "--audience",
    default="employees",
    show_default=True,
    type=click.Choice(["employees", "partners", "franchise", "customers", "other"]),
)
@click.option("--tier", "partner_tier", default=None, help="Partner tier (for partner portals).")
@click.option("--locale", "default_locale", default="en", show_default=True)
@click.option("--time-zone", default="UTC", show_default=True)
@click.option("--admin-email", default=None, help="Create a first tenant admin with this email.")
@click.option("--admin-name", default=None)
@click.option("--admin-password", default=None, help="Password for the first admin (else they reset it).")
def create_tenant(
    slug: str,
    display_name: str,
    audience: str,
    partner_tier: str | None,
    default_locale: str,
    time_zone: str,
    admin_email: str | None,
    admin_name: str | None,
    admin_password: str | None,
) -> None:
    """Create a tenant served at SLUG.<domain>."""
    with acting_as(CLI_ACTOR):
        try:
            tenants.ensure_platform_tenant()
            tenant = tenants.create_tenant(
                slug,
                display_name,
                audience=audience,
                partner_tier=partner_tier,
                default_locale=default_locale,
                time_zone=time_zone,
            )
            if admin_email:
                with as_tenant(tenant):
                    create_user(
                        admin_email,
                        admin_name or admin_email,
                        password=admin_password,
                        role_keys=("tenant_admin", "learner"),
                    )
        except ValidationError as exc:
            db.session.rollback()
            raise click.ClickException(exc.message) from None
        db.session.commit()
    click.echo(f"created {tenant.slug}")


@tenants_group.command("suspend")
@click.argument("slug")
def suspend_tenant(slug: str) -> None:
    """Suspend a tenant: its portal answers 403."""
    with acting_as(CLI_ACTOR):
        tenants.suspend_tenant(tenant_or_fail(slug))
        db.session.commit()
    click.echo(f"suspended {slug}")


@tenants_group.command("resume")
@click.argument("slug")
def resume_tenant(slug: str) -> None:
    """Resume a suspended tenant."""
    with acting_as(CLI_ACTOR):
        tenants.resume_tenant(tenant_or_fail(slug))
        db.session.commit()
    click.echo(f"resumed {slug}")


@tenants_group.command("add-domain")
@click.argument("slug")
@click.argument("domain")
@click.option("--verified", is_flag=True, help="Serve the tenant at DOMAIN now (you checked its DNS).")
def add_domain(slug: str, domain: str, verified: bool) -> None:
    """Serve tenant SLUG at a custom DOMAIN too (once verified)."""
    with acting_as(CLI_ACTOR):
        try:
            record = tenants.add_custom_domain(tenant_or_fail(slug), domain, verified=verified)
        except ValidationError as exc:
            db.session.rollback()
            raise click.ClickException(exc.message) from None
        db.session.commit()
    state = "verified" if record.verified else "not verified yet: requests to it get 404"
    click.echo(f"{record.domain} -> {slug} ({state})")
