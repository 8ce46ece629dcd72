"""What the compliance dashboard remembers: the reminders managers sent."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from app.db_types import UtcDateTime
from app.extensions import Model
from app.tenancy.models import TenantScoped, utcnow


class Reminder(TenantScoped, Model):
    """A manager nudged a person about their required training: who, whom, when, and how it reached them."""

    __tablename__ = "compliance_reminders"
    __table_args__ = (Index("ix_compliance_reminders_tenant_user_sent", "tenant_id", "user_id", "sent_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    sent_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    sent_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    channel: Mapped[str] = mapped_column(String(10), default="email")  # email | inbox (no email address)
