"""Signed checkpoints of each tenant's chain head, kept outside the database.

A checkpoint is one JSON line in ``AUDIT_CHECKPOINT_DIR/<tenant-slug>.jsonl``: tenant, seq, the
head's hash, the seq where authenticated links start, the time, and an Ed25519 signature over all
of them. Whoever can write the database can neither move the file's lines nor sign new ones, so a
chain cut short or rewritten behind a checkpoint is found by `flask audit verify`.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from flask import current_app
from sqlalchemy import select

from app.audit.keys import key_id, signing_key, trusted_public_keys
from app.audit.models import AuditEvent
from app.audit.verification import Checkpoint, verify_chain
from app.extensions import db
from app.tenancy import as_tenant
from app.tenancy.models import Tenant

log = logging.getLogger(__name__)

SIGNED_FIELDS = ("v", "tenant", "tenant_id", "seq", "head", "hmac_from", "at", "key_id")


def checkpoint_path(slug: str) -> Path:
    return Path(current_app.config["AUDIT_CHECKPOINT_DIR"]) / f"{slug}.jsonl"


def _message(payload: dict[str, Any]) -> bytes:
    return json.dumps(
        {k: payload.get(k) for k in SIGNED_FIELDS}, sort_keys=True, separators=(",", ":")
    ).encode()


def _parse_line(number: int, text: str, trusted: dict[str, Any]) -> Checkpoint:
    try:
        payload = json.loads(text)
        seq, head = int(payload["seq"]), str(payload["head"])
        signature = base64.b64decode(payload["signature"], validate=True)
        at = datetime.fromisoformat(payload["at"])
    except (ValueError, KeyError, TypeError, binascii.Error):
        return Checkpoint(number, None, 0, "", None, None, False, f"line {number} cannot be read")
    tenant_id = payload.get("tenant_id")
    hmac_from = payload.get("hmac_from")
    key = trusted.get(str(payload.get("key_id")))
    if key is None:
        problem = (
            f"line {number} is signed by key {payload.get('key_id')!r}, which is not a trusted signing key"
        )
        return Checkpoint(number, tenant_id, seq, head, hmac_from, at, False, problem)
    try:
        key.verify(signature, _message(payload))
    except InvalidSignature:
        problem = f"line {number} (seq {seq}) does not match its signature: the file was altered"
        return Checkpoint(number, tenant_id, seq, head, hmac_from, at, False, problem)
    return Checkpoint(number, tenant_id, seq, head, hmac_from, at, True)


def read_checkpoints(slug: str) -> list[Checkpoint]:
    """Return every checkpoint line of a tenant's file, each with whether its signature holds."""
    path = checkpoint_path(slug)
    if not path.exists():
        return []
    trusted = trusted_public_keys()
    lines = path.read_text(encoding="utf-8").splitlines()
    return [_parse_line(n, text, trusted) for n, text in enumerate(lines, start=1) if text.strip()]


def last_checkpoint(slug: str) -> Checkpoint | None:
    """Return the newest checkpoint of a tenant (for the audit log page), or None."""
    try:
        checkpoints = read_checkpoints(slug)
    except (OSError, UnicodeDecodeError):  # the page says it cannot be read; the operator sees why in the log
        log.exception("the audit checkpoint file of %s cannot be read", slug)
        return Checkpoint(0, None, 0, "", None, None, False, "the checkpoint file cannot be read")
    return checkpoints[-1] if checkpoints else None


def write_checkpoint(tenant: Tenant) -> Checkpoint | None:
    """Append a signed checkpoint of *tenant*'s chain head, unless the head has not moved.

    Refuses (raises) when the chain does not verify: a checkpoint must never bless a forgery.
    """
    with as_tenant(tenant):
        report = verify_chain(tenant.id, read_checkpoints(tenant.slug))
        if not report.ok:
            raise ChainNotVerified(f"{tenant.slug}: {report.summary()}")
        head = db.session.scalars(
            select(AuditEvent)
            .where(AuditEvent.tenant_id == tenant.id)
            .order_by(AuditEvent.seq.desc())
            .limit(1)
        ).one_or_none()
    if head is None:
        return None
    previous = last_checkpoint(tenant.slug)
    if (
        previous is not None
        and previous.signature_valid
        and (previous.seq, previous.head) == (head.seq, head.hash)
    ):
        return None
    key = signing_key()
    payload: dict[str, Any] = {
        "v": 1,
        "tenant": tenant.slug,
        "tenant_id": tenant.id,
        "seq": head.seq,
        "head": head.hash,
        "hmac_from": report.hmac_from,
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
        "key_id": key_id(key.public_key()),
    }
    payload["signature"] = base64.b64encode(key.sign(_message(payload))).decode()
    path = checkpoint_path(tenant.slug)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as file:
        file.write(json.dumps(payload, sort_keys=True) + "\n")
    return Checkpoint(0, tenant.id, head.seq, head.hash, report.hmac_from, datetime.now(UTC), True)


class ChainNotVerified(Exception):
    """The chain does not verify, so no checkpoint of it is written."""


def checkpoint_every_tenant() -> int:
    """Write a checkpoint for every tenant (the hourly job); one tenant's failure does not stop the rest.

    Returns how many tenants were checkpointed or already up to date.
    """
    done = 0
    for tenant in list(db.session.scalars(select(Tenant).order_by(Tenant.id))):
        try:
            write_checkpoint(tenant)
            done += 1
        except Exception:  # one broken chain or full disk must not stop the other tenants' checkpoints
            log.exception("audit checkpoint failed for tenant %s", tenant.slug)
    db.session.rollback()
    return done
