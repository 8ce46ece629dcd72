"""Record audit events into each tenant's hash chain and verify the chain."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from werkzeug.local import LocalProxy

from app.actors import current_actor
from app.audit.keys import hmac_keyring
from app.audit.models import GENESIS_HASH, AuditChainHead, AuditEvent
from app.extensions import db
from app.tenancy import context as tenancy_context
from app.tenancy.models import utcnow


def _timestamp(value: datetime) -> str:
    return value.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="microseconds")


def canonical_content(event: AuditEvent) -> bytes:
    """Return the event's content and its link to the previous row, as the bytes that are hashed."""
    content = {
        "tenant_id": event.tenant_id,
        "seq": event.seq,
        "occurred_at": _timestamp(event.occurred_at),
        "actor_type": event.actor_type,
        "actor_id": event.actor_id,
        "actor_label": event.actor_label,
        "action": event.action,
        "target_type": event.target_type,
        "target_id": event.target_id,
        "target_label": event.target_label,
        "before": event.before,
        "after": event.after,
        "ip": event.ip,
        "user_agent": event.user_agent,
        "request_id": event.request_id,
        "prev_hash": event.prev_hash,
    }
    return json.dumps(
        content, sort_keys=True, separators=(",", ":"), default=str, ensure_ascii=False
    ).encode()


def compute_hash(event: AuditEvent) -> str:
    """Return the SHA-256 of the event's content and the previous link."""
    return hashlib.sha256(canonical_content(event)).hexdigest()


def compute_mac(event: AuditEvent, key: bytes) -> str:
    """Return the HMAC-SHA256 of the event's content and the previous link under *key*."""
    return hmac.new(key, canonical_content(event), hashlib.sha256).hexdigest()


def _jsonable(data: dict[str, Any] | None) -> dict[str, Any] | None:
    if data is None:
        return None
    return json.loads(json.dumps(data, default=str))


def _describe(target: object | None) -> tuple[str | None, str | None, str | None]:
    if target is None:
        return None, None, None
    if isinstance(target, LocalProxy):  # current_user: the person, not the proxy, is the target
        target = target._get_current_object()
    label = (
        getattr(target, "email", None)
        or getattr(target, "slug", None)
        or getattr(target, "name", None)
        or getattr(target, "display_name", None)
    )
    target_id = getattr(target, "id", None)
    return type(target).__name__, None if target_id is None else str(target_id), label


def _chain_head(tenant_id: int) -> AuditChainHead:
    head = db.session.scalars(
        select(AuditChainHead).where(AuditChainHead.tenant_id == tenant_id).with_for_update()
    ).one_or_none()
    if head is None:
        head = AuditChainHead(tenant_id=tenant_id, seq=0, hash=GENESIS_HASH)
        db.session.add(head)
    return head


def record(
    action: str,
    *,
    target: object | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    tenant_id: int | None = None,
) -> AuditEvent:
    """Append *action* on *target* to the current tenant's audit chain."""
    tenant_id = tenant_id or getattr(target, "tenant_id", None) or tenancy_context.current_tenant_id()
    if tenant_id is None:
        raise tenancy_context.TenantContextMissing("audit.record needs a tenant")
    if target is not None and getattr(target, "id", None) is None:
        db.session.flush()  # the target's id belongs in the record
    actor = current_actor()
    target_type, target_id, target_label = _describe(target)
    head = _chain_head(tenant_id)
    event = AuditEvent(
        tenant_id=tenant_id,
        seq=head.seq + 1,
        occurred_at=utcnow(),
        actor_type=actor.type,
        actor_id=actor.id,
        actor_label=actor.label,
        action=action,
        target_type=target_type,
        target_id=target_id,
        target_label=target_label,
        before=_jsonable(before),
        after=_jsonable(after),
        ip=actor.ip,
        user_agent=(actor.user_agent or None) and actor.user_agent[:500],
        request_id=actor.request_id,
        prev_hash=head.hash,
    )
    event.hash = compute_hash(event)
    keyring = hmac_keyring()
    event.mac_kid = keyring.active_kid
    event.mac = compute_mac(event, keyring.active_key)
    head.seq = event.seq
    head.hash = event.hash
    db.session.add(event)
    return event
