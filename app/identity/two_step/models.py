"""A person's two-step sign-in: their authenticator secret (sealed) and their one-time recovery codes."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from app.db_types import UtcDateTime
from app.extensions import Model
from app.tenancy.models import TenantScoped, tenant_unique, utcnow


class TwoStepSecret(TenantScoped, Model):
    """One person's TOTP secret (RFC 6238), sealed; two-step is on once ``confirmed_at`` is set.

    ``last_used_step`` is the 30-second step of the last code accepted, so a code is never accepted
    twice; ``failures`` counts wrong codes in a row and ``locked_until`` stops trying for a while.
    """

    __tablename__ = "two_step_secrets"
    __table_args__ = (tenant_unique("user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    secret_sealed: Mapped[bytes] = mapped_column(LargeBinary)
    confirmed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    last_used_step: Mapped[int] = mapped_column(default=0)
    failures: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UtcDateTime())
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)

    @property
    def purpose(self) -> str:
        return f"two-step-secret:{self.tenant_id}:{self.user_id}"

    @property
    def enabled(self) -> bool:
        return self.confirmed_at is not None


class RecoveryCode(TenantScoped, Model):
    """One recovery code of a person: only its SHA-256 is kept (the code is random, 50 bits and more)."""

    __tablename__ = "two_step_recovery_codes"
    __table_args__ = (tenant_unique("code_hash"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64))
    used_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
