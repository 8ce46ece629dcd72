"""Record audit events into each tenant's hash chain and verify the chain."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select

from app.audit.context import current_actor
from app.audit.models import GENESIS_HASH, AuditChainHead, AuditEvent
from app.extensions import db
from app.tenancy import context as tenancy_context
from app.tenancy.models import utcnow


def _timestamp(value: datetime) -> str:
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value.isoformat(timespec="microseconds")


def compute_hash(event: AuditEvent) -> str:
    """Return the SHA-256 of the event's content and the previous link."""
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
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), default=str, ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _jsonable(data: dict[str, Any] | None) -> dict[str, Any] | None:
    if data is None:
        return None
    return json.loads(json.dumps(data, default=str))


def _describe(target: object | None) -> tuple[str | None, str | None, str | None]:
    if target is None:
        return None, None, None
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
    head.seq = event.seq
    head.hash = event.hash
    db.session.add(event)
    return event


@dataclass
class ChainReport:
    tenant_id: int
    checked: int
    broken_at: int | None = None
    problem: str | None = None

    @property
    def ok(self) -> bool:
        return self.problem is None


def verify_chain(tenant_id: int) -> ChainReport:
    """Walk a tenant's chain from the start and name the first broken link."""
    report = ChainReport(tenant_id=tenant_id, checked=0)
    expected_prev = GENESIS_HASH
    expected_seq = 1
    rows = db.session.execute(
        select(AuditEvent).where(AuditEvent.tenant_id == tenant_id).order_by(AuditEvent.seq)
    ).scalars()
    for event in rows:
        if event.seq != expected_seq:
            report.broken_at = expected_seq
            report.problem = f"row seq {expected_seq} is missing (next row found is seq {event.seq})"
            return report
        if event.prev_hash != expected_prev:
            report.broken_at = event.seq
            report.problem = f"row seq {event.seq} does not link to the row before it"
            return report
        if compute_hash(event) != event.hash:
            report.broken_at = event.seq
            report.problem = f"row seq {event.seq} ({event.action}) was altered after it was written"
            return report
        report.checked += 1
        expected_prev = event.hash
        expected_seq += 1
    head = db.session.scalars(
        select(AuditChainHead).where(AuditChainHead.tenant_id == tenant_id)
    ).one_or_none()
    last_seq = expected_seq - 1
    if head is not None and (head.seq != last_seq or head.hash != expected_prev):
        report.broken_at = last_seq + 1
        report.problem = f"rows after seq {last_seq} were removed (the chain head is at seq {head.seq})"
    return report
