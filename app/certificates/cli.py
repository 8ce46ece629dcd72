"""``flask certificates``: rotate a portal's signing keys."""

from __future__ import annotations

import click
from flask.cli import AppGroup
from sqlalchemy import select

from app.certificates import keys
from app.certificates.models import KeyPurpose
from app.extensions import db
from app.tenancy import as_tenant
from app.tenancy.models import Tenant

group = AppGroup("certificates", help="Certificates: signing keys.")


@group.command("rotate-key")
@click.argument("slug")
@click.option(
    "--purpose",
    type=click.Choice([KeyPurpose.pdf, KeyPurpose.badge, "all"]),
    default="all",
    show_default=True,
    help="Which key: the PDF signing key, the Open Badges key, or both.",
)
def rotate_key(slug: str, purpose: str) -> None:
    """Retire the portal SLUG's signing key and make a new one; certificates signed before still verify."""
    tenant = db.session.scalars(select(Tenant).where(Tenant.slug == slug)).first()
    if tenant is None or tenant.is_platform:
        raise click.ClickException(f"no portal {slug!r}")
    purposes = [KeyPurpose.pdf, KeyPurpose.badge] if purpose == "all" else [purpose]
    with as_tenant(tenant):
        for each in purposes:
            old, new = keys.rotate(each)
            db.session.commit()
            retired = f"retired {old.kid}, " if old else ""
            click.echo(f"{slug} {each}: {retired}now signing with {new.kid}")
