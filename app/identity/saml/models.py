"""A portal's own SAML service-provider keys, and the short-lived facts SAML sign-in must remember
across processes when Redis is not configured: the requests sent out and the assertions used."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.db_types import UtcDateTime
from app.extensions import Model
from app.tenancy.models import TenantScoped, tenant_unique, utcnow


class SamlKey(TenantScoped, Model):
    """One signing and decryption key pair of a portal's SAML service provider.

    The newest one not retired is current; after a rotation the previous one stays in the metadata
    (and still decrypts) until ``retired_at``, so identity providers have time to catch up.
    """

    __tablename__ = "saml_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    certificate_pem: Mapped[str] = mapped_column(Text)
    key_sealed: Mapped[bytes] = mapped_column(LargeBinary)
    not_after: Mapped[datetime] = mapped_column(UtcDateTime())
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    # Set when a newer key became current: the key leaves the metadata after this moment.
    retired_at: Mapped[datetime | None] = mapped_column(UtcDateTime())

    @property
    def key_purpose(self) -> str:
        return f"saml-sp-key:{self.tenant_id}:{self.id}"


class SamlSeen(TenantScoped, Model):
    """A request id this portal sent (``kind="request"``, with its provider) or an assertion id it
    accepted (``kind="assertion"``), until it expires. The unique key makes "only once" hold
    across processes; Redis (SET NX EX) replaces this table when it is configured."""

    __tablename__ = "saml_seen"
    __table_args__ = (tenant_unique("kind", "value"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    value: Mapped[str] = mapped_column(String(300))
    provider_id: Mapped[int | None] = mapped_column(Integer)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
