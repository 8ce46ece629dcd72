"""Operator commands: ``flask --app wsgi tenants …``, ``audit verify``, ``demo``."""

from __future__ import annotations

import logging
import sys
from typing import Any

import click
from flask import Flask
from sqlalchemy import select

from app.audit.context import Actor, acting_as
from app.errors import ValidationError
from app.extensions import db
from app.tenancy import as_tenant
from app.tenancy import services as tenancy
from app.tenancy.models import Tenant

log = logging.getLogger(__name__)

CLI_ACTOR = Actor(type="system", label="cli")


def register_cli(app: Flask) -> None:
    @app.cli.group("tenants")
    def tenants_group() -> None:
        """Create, suspend, resume and list tenants."""

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
        from app.accounts.services import create_user

        with acting_as(CLI_ACTOR):
            try:
                tenancy.ensure_platform_tenant()
                tenant = tenancy.create_tenant(
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

    def _tenant_or_fail(slug: str) -> Tenant:
        tenant = tenancy.get_tenant_by_slug(slug)
        if tenant is None or tenant.is_platform:
            raise click.ClickException(f"no tenant {slug!r}")
        return tenant

    @tenants_group.command("suspend")
    @click.argument("slug")
    def suspend_tenant(slug: str) -> None:
        """Suspend a tenant: its portal answers 403."""
        with acting_as(CLI_ACTOR):
            tenancy.suspend_tenant(_tenant_or_fail(slug))
            db.session.commit()
        click.echo(f"suspended {slug}")

    @tenants_group.command("resume")
    @click.argument("slug")
    def resume_tenant(slug: str) -> None:
        """Resume a suspended tenant."""
        with acting_as(CLI_ACTOR):
            tenancy.resume_tenant(_tenant_or_fail(slug))
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
                record = tenancy.add_custom_domain(_tenant_or_fail(slug), domain, verified=verified)
            except ValidationError as exc:
                db.session.rollback()
                raise click.ClickException(exc.message) from None
            db.session.commit()
        state = "verified" if record.verified else "not verified yet: requests to it get 404"
        click.echo(f"{record.domain} -> {slug} ({state})")

    @app.cli.group("postgres")
    def postgres_group() -> None:
        """Set up PostgreSQL for Atrium."""

    @postgres_group.command("prepare")
    @click.option(
        "--admin-url", required=True, help="A superuser connection, e.g. postgresql://postgres@host/postgres"
    )
    @click.option("--database", default="atrium", show_default=True)
    @click.option(
        "--owner", default="atrium_owner", show_default=True, help="Owns the schema; runs migrations."
    )
    @click.option(
        "--app-role", default="atrium_app", show_default=True, help="What the application connects as."
    )
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

    @app.cli.group("audit")
    def audit_group() -> None:
        """Check the audit log."""

    @audit_group.command("verify")
    @click.option("--tenant", "slug", default=None, help="Check one tenant (default: all).")
    def verify(slug: str | None) -> None:
        """Verify each tenant's audit chain, HMACs and signed checkpoints; exit 1 naming what failed."""
        from app.audit.verification import verify_chain

        failed = False
        for tenant in _audit_tenants(slug):
            with as_tenant(tenant):
                report = verify_chain(tenant.id, slug=tenant.slug)
                problem = None
                if report.ok:
                    from app.policies.services import verify_acknowledgements

                    problem = verify_acknowledgements(tenant.id)
            if report.ok and not problem:
                click.echo(f"{tenant.slug}: ok ({report.checked} events){_chain_details(report)}")
            elif problem:
                failed = True
                click.echo(f"{tenant.slug}: BROKEN: {problem}", err=True)
            else:
                failed = True
                first, *others = report.problems
                where = f" at seq {first.seq}" if first.seq is not None else ""
                click.echo(f"{tenant.slug}: BROKEN{where}: {first.guarantee}: {first.message}", err=True)
                for other in others:
                    where = f" at seq {other.seq}" if other.seq is not None else ""
                    click.echo(f"{tenant.slug}:   also{where}: {other.guarantee}: {other.message}", err=True)
        db.session.rollback()
        if failed:
            sys.exit(1)

    @audit_group.command("checkpoint")
    @click.option("--tenant", "slug", default=None, help="Only this tenant (default: all).")
    def checkpoint(slug: str | None) -> None:
        """Write a signed checkpoint of each chain head to AUDIT_CHECKPOINT_DIR (as the hourly job does)."""
        from app.audit.checkpoints import ChainNotVerified, checkpoint_path, write_checkpoint

        failed = False
        for tenant in _audit_tenants(slug):
            try:
                written = write_checkpoint(tenant)
            except ChainNotVerified as error:
                failed = True
                click.echo(f"no checkpoint written, the chain does not verify: {error}", err=True)
                continue
            if written is None:
                click.echo(f"{tenant.slug}: nothing new since the last checkpoint")
            else:
                click.echo(
                    f"{tenant.slug}: checkpoint at seq {written.seq} -> {checkpoint_path(tenant.slug)}"
                )
        db.session.rollback()
        if failed:
            sys.exit(1)

    @audit_group.command("public-key")
    def public_key() -> None:
        """Print the base64 public key that checks checkpoint signatures (keep it when rotating keys)."""
        import base64

        from app.audit.keys import public_key_bytes, signing_key

        click.echo(base64.b64encode(public_key_bytes(signing_key().public_key())).decode())

    def _audit_tenants(slug: str | None) -> list[Tenant]:
        if not slug:
            return list(db.session.scalars(select(Tenant).order_by(Tenant.slug)))
        if slug == "platform":
            return [t for t in tenancy.list_tenants(include_platform=True) if t.is_platform]
        return [_tenant_or_fail(slug)]

    def _chain_details(report: Any) -> str:
        details = []
        if report.legacy:
            details.append(
                f"seq 1-{report.legacy} are legacy SHA-256 links written before links were authenticated"
                + (f", HMAC from seq {report.hmac_from}" if report.hmac_from else ", none authenticated yet")
            )
        if report.last_checkpoint is not None:
            details.append(f"matches the signed checkpoint at seq {report.last_checkpoint.seq}")
        else:
            details.append("no checkpoint yet")
        return "; " + "; ".join(details)

    @app.cli.group("rules")
    def rules_group() -> None:
        """Enrolment rules."""

    @rules_group.command("run-all")
    @click.option("--tenant", "slug", default=None, help="Only this tenant (default: every active tenant).")
    def run_all_rules(slug: str | None) -> None:
        """Run every active enrolment rule now (what the nightly job does); print how many were enrolled."""
        from app.learning.services.rules import run_all_rules as run

        tenants = [_tenant_or_fail(slug)] if slug else [t for t in tenancy.list_tenants() if t.is_active]
        with acting_as(CLI_ACTOR):
            for tenant in tenants:
                with as_tenant(tenant):
                    enrolled = run()
                db.session.commit()
                click.echo(f"{tenant.slug}: {enrolled} enrolled")

    @app.cli.group("assessments")
    def assessments_group() -> None:
        """Quizzes and attempts."""

    @assessments_group.command("close-expired")
    @click.option("--tenant", "slug", default=None, help="Only this tenant (default: every active tenant).")
    def close_expired(slug: str | None) -> None:
        """Submit quiz attempts whose time ran out (what the worker's cron does every 15 minutes)."""
        from app.assessments.services import close_expired_attempts

        tenants = [_tenant_or_fail(slug)] if slug else [t for t in tenancy.list_tenants() if t.is_active]
        problems: list[str] = []
        with acting_as(CLI_ACTOR):
            for tenant in tenants:
                if tenant.is_platform:
                    continue
                tenant_slug = tenant.slug
                failed: list[int] = []
                try:
                    with as_tenant(tenant):
                        closed = close_expired_attempts(failed=failed)
                    db.session.commit()
                except Exception as exc:  # one tenant's failure must not stop the tenants after it
                    db.session.rollback()
                    log.exception("closing expired attempts failed for tenant %s", tenant_slug)
                    problems.append(f"{tenant_slug}: failed ({type(exc).__name__}: {exc})")
                    click.echo(f"{tenant_slug}: FAILED: {type(exc).__name__}: {exc}", err=True)
                    continue
                click.echo(f"{tenant_slug}: {closed} closed")
                if failed:
                    ids = ", ".join(str(attempt_id) for attempt_id in failed)
                    problems.append(f"{tenant_slug}: attempts {ids} could not be closed")
                    click.echo(f"{tenant_slug}: could not close attempts {ids} (see the log)", err=True)
        if problems:
            click.echo("Some expired attempts were not closed:\n  " + "\n  ".join(problems), err=True)
            sys.exit(1)

    @app.cli.group("jobs")
    def jobs_group() -> None:
        """Send and repair background jobs (with REDIS_URL)."""

    @jobs_group.command("drain")
    def drain_jobs() -> None:
        """Send to RQ the jobs recorded while Redis was unreachable."""
        from app import jobs

        if not app.config.get("REDIS_URL"):
            click.echo("REDIS_URL is not set: jobs run inline; nothing to send.")
            return
        click.echo(f"{jobs.drain()} job(s) sent.")

    @jobs_group.command("sweep")
    def sweep_jobs() -> None:
        """Retry jobs whose worker was killed, mark hopeless ones failed, resend jobs Redis lost."""
        from app import jobs

        if not app.config.get("REDIS_URL"):
            click.echo("REDIS_URL is not set: jobs run inline; nothing to sweep.")
            return
        counts = jobs.sweep()
        click.echo(f"{counts['abandoned_failed']} abandoned job(s) marked failed, {counts['resent']} resent.")

    @app.cli.command("demo")
    @click.option(
        "--base-url",
        default="http://localhost:5000",
        show_default=True,
        help="Where the server will listen, for the sign-in lines printed at the end.",
    )
    def demo(base_url: str) -> None:
        """Create the platform tenant and the demo tenants (safe to run again)."""
        import logging

        from app.demo import load_demo

        # Loading the demo opens the platform's write path a dozen times; each is logged at INFO, which
        # on `make run` would bury the account list under lines that say nothing to someone trying it.
        tenancy_log = logging.getLogger("atrium.tenancy")
        level = tenancy_log.level
        tenancy_log.setLevel(logging.WARNING)
        try:
            with acting_as(CLI_ACTOR):
                lines = load_demo(base_url)
                db.session.commit()
        finally:
            tenancy_log.setLevel(level)
        for line in lines:
            click.echo(line)
