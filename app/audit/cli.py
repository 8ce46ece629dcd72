"""``flask audit verify``, ``checkpoint`` and ``public-key``: check each tenant's audit chain."""

from __future__ import annotations

import base64
import sys
from typing import Any

import click
from flask.cli import AppGroup
from sqlalchemy import select

from app.audit.checkpoints import ChainNotVerified, checkpoint_path, read_checkpoints, write_checkpoint
from app.audit.keys import public_key_bytes, signing_key
from app.audit.verification import verify_chain, verify_records
from app.extensions import db
from app.tenancy import as_tenant
from app.tenancy import services as tenancy
from app.tenancy.cli import tenant_or_fail
from app.tenancy.models import Tenant

audit_group = AppGroup("audit", help="Check the audit log.")


@audit_group.command("verify")
@click.option("--tenant", "slug", default=None, help="Check one tenant (default: all).")
def verify(slug: str | None) -> None:
    """Verify each tenant's audit chain, HMACs and signed checkpoints; exit 1 naming what failed."""
    failed = False
    for tenant in _audit_tenants(slug):
        with as_tenant(tenant):
            report = verify_chain(tenant.id, read_checkpoints(tenant.slug))
            problem = None
            if report.ok:
                problem = verify_records(tenant.id)
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
            click.echo(f"{tenant.slug}: checkpoint at seq {written.seq} -> {checkpoint_path(tenant.slug)}")
    db.session.rollback()
    if failed:
        sys.exit(1)


@audit_group.command("public-key")
def public_key() -> None:
    """Print the base64 public key that checks checkpoint signatures (keep it when rotating keys)."""
    click.echo(base64.b64encode(public_key_bytes(signing_key().public_key())).decode())


def _audit_tenants(slug: str | None) -> list[Tenant]:
    """Every tenant, suspended ones and the platform included: their logs must verify too."""
    if not slug:
        return list(db.session.scalars(select(Tenant).order_by(Tenant.slug)))
    if slug == "platform":
        return [t for t in tenancy.list_tenants(include_platform=True) if t.is_platform]
    return [tenant_or_fail(slug)]


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
