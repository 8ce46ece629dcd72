"""App-wide operator commands: ``flask jobs drain|sweep`` and ``flask demo``.

Each feature's own commands live in the feature (``tenants`` in app/console, ``postgres`` in
app/tenancy, ``audit`` in app/audit, ``rules`` in app/learning, ``assessments`` in
app/assessments) and are registered by its ``init_app``.
"""

from __future__ import annotations

import logging

import click
from flask import Flask, current_app
from flask.cli import AppGroup, with_appcontext

from app import jobs
from app.actors import CLI_ACTOR, acting_as
from app.extensions import db

__all__ = ["CLI_ACTOR", "init_app"]

jobs_group = AppGroup("jobs", help="Send and repair background jobs (with REDIS_URL).")


@jobs_group.command("drain")
def drain_jobs() -> None:
    """Send to RQ the jobs recorded while Redis was unreachable."""
    if not current_app.config.get("REDIS_URL"):
        click.echo("REDIS_URL is not set: jobs run inline; nothing to send.")
        return
    click.echo(f"{jobs.drain()} job(s) sent.")


@jobs_group.command("sweep")
def sweep_jobs() -> None:
    """Retry jobs whose worker was killed, mark hopeless ones failed, resend jobs Redis lost."""
    if not current_app.config.get("REDIS_URL"):
        click.echo("REDIS_URL is not set: jobs run inline; nothing to sweep.")
        return
    counts = jobs.sweep()
    click.echo(f"{counts['abandoned_failed']} abandoned job(s) marked failed, {counts['resent']} resent.")


@click.command("demo")
@with_appcontext
@click.option(
    "--base-url",
    default="http://localhost:5000",
    show_default=True,
    help="Where the server will listen, for the sign-in lines printed at the end.",
)
def demo(base_url: str) -> None:
    """Create the platform tenant and the demo tenants (safe to run again)."""
    from app.demo import load_demo  # the demo spans every feature: loaded only when asked for

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


secrets_group = AppGroup("secrets", help="Secrets at rest (app/sealing.py): move them to the current key.")


@secrets_group.command("reseal")
@click.option("--tenant", "slug", default=None, help="Only this portal (its slug); every portal by default.")
def reseal_secrets(slug: str | None) -> None:
    """Re-encrypt every stored secret under the first key of SECRETS_KEYS, portal by portal.

    Rotate a key: put the new key first in SECRETS_KEYS (keep the old one after it), run this, then
    drop the old key. Each portal is done in its own transaction; running it again changes nothing.
    A secret no configured key opens is named and left as it is, and the command fails at the end.
    """
    from sqlalchemy import select

    from app import sealing
    from app.extensions import db
    from app.tenancy import as_tenant
    from app.tenancy.models import Tenant

    statement = select(Tenant).order_by(Tenant.id)
    if slug:
        statement = statement.where(Tenant.slug == slug)
    tenants = list(db.session.scalars(statement))
    if slug and not tenants:
        raise click.ClickException(f"no portal {slug!r}")
    total, unreadable = 0, []
    for tenant in tenants:
        with as_tenant(tenant):
            changed, lost = sealing.reseal_rows(db.session)
            db.session.commit()
        total += changed
        unreadable += [f"{tenant.slug}: {purpose}" for purpose in lost]
        if changed:
            click.echo(f"{tenant.slug}: {changed} secret(s) resealed")
    click.echo(f"{total} secret(s) resealed in {len(tenants)} portal(s)")
    if unreadable:
        for line in unreadable:
            click.echo(f"cannot open {line}: no key in SECRETS_KEYS made it", err=True)
        raise click.ClickException(
            f"{len(unreadable)} secret(s) could not be opened with the configured keys"
        )


def init_app(app: Flask) -> None:
    """Register the app-wide commands."""
    app.cli.add_command(jobs_group)
    app.cli.add_command(secrets_group)
    app.cli.add_command(demo)
