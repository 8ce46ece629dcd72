"""A portal's translation of one item it wrote (a course, a lesson, a question...) into one language."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from app.db_types import UtcDateTime
from app.extensions import Model
from app.tenancy.models import TenantScoped, tenant_unique, utcnow


class ContentTranslation(TenantScoped, Model):
    """The texts of one item in *locale*, each with the hash of the source text it was translated from.

    ``fields`` maps a field name of the item's kind (``title``, ``markdown``, ``option.b.text``...) to the
    translated text; ``html`` holds the sanitised rendering of its Markdown fields; ``source_hashes`` the
    sha-256 of each field's source text when it was translated, so that a later edit of the source marks
    that field, and only that one, as outdated.
    """

    __tablename__ = "content_translations"
    __table_args__ = (
        tenant_unique("kind", "item_id", "locale"),
        Index("ix_content_translations_tenant_locale_kind", "tenant_id", "locale", "kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(30))
    item_id: Mapped[int] = mapped_column(Integer)
    locale: Mapped[str] = mapped_column(String(10))
    fields: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    html: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    source_hashes: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    reviewed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow, onupdate=utcnow)
