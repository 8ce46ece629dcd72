"""What lets a crew member in on a shared device: a PIN and a printed badge, both kept hashed."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.accounts.models import User
from app.db_types import UtcDateTime
from app.extensions import Model
from app.tenancy.models import TenantScoped, tenant_unique, utcnow


class CrewPin(TenantScoped, Model):
    """A person's PIN (Argon2 hash), with the failed tries that lock it like a password."""

    __tablename__ = "crew_pins"
    __table_args__ = (tenant_unique("user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    pin_hash: Mapped[str] = mapped_column(String(255))
    # Set by a manager: the person chooses their own PIN right after their next sign-in.
    must_choose: Mapped[bool] = mapped_column(Boolean, default=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UtcDateTime())
    set_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    set_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    user: Mapped[User] = relationship(foreign_keys=[user_id])


class CrewBadge(TenantScoped, Model):
    """One printed badge; the QR carries a random token of which only the SHA-256 is kept.

    Issuing a new badge revokes the person's earlier ones; a revoked badge never signs anyone in.
    """

    __tablename__ = "crew_badges"
    __table_args__ = (
        tenant_unique("token_hash"),
        Index("ix_crew_badges_tenant_user", "tenant_id", "user_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    token_hash: Mapped[str] = mapped_column(String(64))
    issued_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    issued_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime())

    user: Mapped[User] = relationship(foreign_keys=[user_id])
