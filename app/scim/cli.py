"""``flask scim token create <tenant-slug> --name <name>``: a token for scripts and operators."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from app.actors import CLI_ACTOR, acting_as
from app.errors import ValidationError
from app.extensions import db
from app.tenancy.cli import tenant_or_fail

scim_group = AppGroup("scim", help="SCIM provisioning.")
token_group = AppGroup("token", help="Bearer tokens for SCIM clients.")
scim_group.add_command(token_group)


@token_group.command("create")
@click.argument("slug")
@click.option("--name", required=True, help="Who will use it, e.g. 'Entra ID'.")
def create_token(slug: str, name: str) -> None:
    """Create a SCIM token for the portal *slug*; the token is printed once, on the last line."""
    from app.scim import services
    from app.tenancy import as_tenant

    tenant = tenant_or_fail(slug)
    with acting_as(CLI_ACTOR), as_tenant(tenant):
        try:
            token, secret = services.create_token(name)
        except ValidationError as exc:
            raise click.ClickException(exc.message) from None
        db.session.commit()
        click.echo(f"SCIM token {token.name!r} created for {tenant.slug}. It is shown only once:")
    click.echo(secret)
