"""Messages for people without an email address, shown on their My learning page instead."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.db_types import UtcDateTime
from app.extensions import Model
from app.tenancy.models import TenantScoped, utcnow


class InboxMessage(TenantScoped, Model):
    """What would have been emailed to a person who has no email address."""

    __tablename__ = "inbox_messages"
    __table_args__ = (Index("ix_inbox_messages_tenant_user", "tenant_id", "user_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
