"""Deliver a message to a person's inbox, list it, mark it read."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from app import audit
from app.extensions import db
from app.inbox.models import InboxMessage
from app.tenancy.models import utcnow

#: Messages shown on My learning at once, newest first.
SHOWN = 20


def deliver(person: Any, subject: str, body: str) -> InboxMessage:
    """Put a message for *person* in their inbox (they have no email address)."""
    message = InboxMessage(user_id=person.id, subject=subject[:300], body=body)
    db.session.add(message)
    db.session.flush()
    audit.record(
        "inbox.delivered", target=person, after={"message_id": message.id, "subject": message.subject}
    )
    return message


def messages_for(person: Any) -> list[InboxMessage]:
    """*person*'s latest messages, newest first; an empty list for people who have email."""
    if person.email:
        return []
    return list(
        db.session.scalars(
            select(InboxMessage)
            .where(InboxMessage.user_id == person.id)
            .order_by(InboxMessage.created_at.desc(), InboxMessage.id.desc())
            .limit(SHOWN)
        )
    )


def message_of(person: Any, message_id: int) -> InboxMessage | None:
    message = db.session.get(InboxMessage, message_id)
    return message if message is not None and message.user_id == person.id else None


def mark_read(message: InboxMessage, *, read: bool = True) -> None:
    """Mark *message* read (or unread again)."""
    if read and message.read_at is None:
        message.read_at = utcnow()
    elif not read:
        message.read_at = None
