"""A portal's own wording of an interface message in one language."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.db_types import UtcDateTime
from app.extensions import Model
from app.tenancy.models import TenantScoped, tenant_unique, utcnow


class MessageOverride(TenantScoped, Model):
    """The tenant's text for one shipped message in *locale*: one string, or one per plural form.

    ``context`` is the message's gettext context, "" when it has none (an empty string rather than NULL,
    so that the unique key holds for the many messages without one).
    """

    __tablename__ = "message_overrides"
    __table_args__ = (
        tenant_unique("locale", "msgid", "context"),
        Index("ix_message_overrides_tenant_locale", "tenant_id", "locale"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    locale: Mapped[str] = mapped_column(String(10))
    msgid: Mapped[str] = mapped_column(Text)
    msgid_plural: Mapped[str | None] = mapped_column(Text)
    context: Mapped[str] = mapped_column(String(200), default="")
    # [text] for a message without plural; one text per plural form of the locale otherwise.
    translations: Mapped[list[str]] = mapped_column(JSON, default=list)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow, onupdate=utcnow)

    @property
    def is_plural(self) -> bool:
        return self.msgid_plural is not None
