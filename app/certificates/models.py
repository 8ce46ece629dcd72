"""Certificates issued for certification awards, and the tenant's keys that sign them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, Integer, LargeBinary, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from app.db_types import UtcDateTime
from app.extensions import Model
from app.tenancy.models import TenantScoped, tenant_unique, utcnow


class KeyPurpose:
    pdf = "pdf"  # signs certificate PDFs (PAdES): an EC P-256 key and a self-signed X.509 certificate
    badge = "badge"  # signs Open Badges credentials (eddsa-rdfc-2022): an Ed25519 key


class SigningKey(TenantScoped, Model):
    """One of a tenant's signing keys: the private part encrypted at rest, dropped when the key retires."""

    __tablename__ = "certificate_signing_keys"
    __table_args__ = (
        tenant_unique("kid"),
        # At most one active key per purpose: two workers creating it at once cannot both succeed.
        Index(
            "uq_certificate_signing_keys_active",
            "tenant_id",
            "purpose",
            unique=True,
            sqlite_where=text("retired_at IS NULL"),
            postgresql_where=text("retired_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    purpose: Mapped[str] = mapped_column(String(20))
    kid: Mapped[str] = mapped_column(String(80))
    algorithm: Mapped[str] = mapped_column(String(20))
    public_key_pem: Mapped[str] = mapped_column(Text)
    certificate_pem: Mapped[str | None] = mapped_column(Text)
    private_key_encrypted: Mapped[bytes | None] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    retired_at: Mapped[datetime | None] = mapped_column(UtcDateTime())

    @property
    def name(self) -> str:
        return self.kid


class Certificate(TenantScoped, Model):
    """The document that proves one award (one cycle of a person's certification record)."""

    __tablename__ = "certificates"
    # A status list index is never shared: two awards at once cannot both take the next one.
    __table_args__ = (
        tenant_unique("record_id", "cycle"),
        tenant_unique("serial"),
        tenant_unique("status_index"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    serial: Mapped[str] = mapped_column(String(20))
    record_id: Mapped[int] = mapped_column(Integer, index=True)
    cycle: Mapped[int] = mapped_column(Integer)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    certification_id: Mapped[int] = mapped_column(Integer)
    holder_name: Mapped[str] = mapped_column(String(200))
    title: Mapped[str] = mapped_column(String(200))
    awarded_at: Mapped[datetime] = mapped_column(UtcDateTime())
    expires_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    # When the certification said it entered its renewal window (certification.expiring).
    expiring_since: Mapped[datetime | None] = mapped_column(UtcDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    revocation_reason: Mapped[str | None] = mapped_column(Text)
    # Filled by the certificates job once the PDF is rendered and signed.
    pdf_sha256: Mapped[str | None] = mapped_column(String(64), index=True)
    pdf_key: Mapped[str | None] = mapped_column(String(200))
    pdf_kid: Mapped[str | None] = mapped_column(String(80))
    badge: Mapped[dict | None] = mapped_column(JSON)
    # This certificate's bit in the tenant's status list (Open Badges revocation).
    status_index: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    issued_at: Mapped[datetime | None] = mapped_column(UtcDateTime())

    @property
    def name(self) -> str:
        """How the audit log names it: the certification, the holder and the serial."""
        return f"{self.title} — {self.holder_name} ({self.serial})"

    @property
    def is_issued(self) -> bool:
        return self.pdf_sha256 is not None
