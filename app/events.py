"""Domain events: an outbox row in the same transaction, plus in-process subscribers."""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, String
from sqlalchemy.orm import Mapped, mapped_column

from app.db_types import UtcDateTime
from app.extensions import Model, db
from app.tenancy import context as tenancy_context
from app.tenancy.models import TenantScoped, utcnow

log = logging.getLogger("atrium.events")

Subscriber = Callable[["OutboxEvent"], None]
_subscribers: dict[str, list[Subscriber]] = defaultdict(list)


class OutboxEvent(TenantScoped, Model):
    """An event waiting to be delivered to integrations (webhooks, sync)."""

    __tablename__ = "outbox_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    type: Mapped[str] = mapped_column(String(100), index=True)
    payload: Mapped[dict] = mapped_column(JSON)
    occurred_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    dispatched_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), index=True)


def subscribe(event_type: str) -> Callable[[Subscriber], Subscriber]:
    """Register a function called in-process, in the same transaction, when *event_type* is emitted."""

    def decorator(fn: Subscriber) -> Subscriber:
        _subscribers[event_type].append(fn)
        return fn

    return decorator


def emit(event_type: str, payload: dict[str, Any]) -> OutboxEvent:
    """Write *event_type* to the outbox and call its subscribers."""
    if tenancy_context.current_tenant_id() is None and "tenant_id" not in payload:
        raise tenancy_context.TenantContextMissing(f"event {event_type} emitted with no tenant")
    event = OutboxEvent(type=event_type, payload=payload)
    if tenancy_context.current_tenant_id() is None:
        event.tenant_id = payload["tenant_id"]
    db.session.add(event)
    for fn in _subscribers.get(event_type, []) + _subscribers.get("*", []):
        fn(event)
    return event
