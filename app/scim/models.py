"""SCIM provisioning: the bearer tokens identity providers use, their operations log, and the SCIM
state of the people and groups they manage (userName, externalId, the version behind ETags)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.accounts.models import Group, User
from app.db_types import UtcDateTime
from app.extensions import Model
from app.tenancy.models import TenantScoped, tenant_unique, utcnow


class ScimToken(TenantScoped, Model):
    """A named bearer token an identity provider provisions with; only its SHA-256 is kept."""

    __tablename__ = "scim_tokens"
    __table_args__ = (tenant_unique("token_hash"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64))
    # The first characters of the token, so admins can tell which one a provider holds.
    prefix: Mapped[str] = mapped_column(String(12))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime())

    created_by: Mapped[User | None] = relationship()

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class ScimOperation(TenantScoped, Model):
    """One request a token made that changed something or was refused: the token's operations log."""

    __tablename__ = "scim_operations"
    __table_args__ = (Index("ix_scim_operations_tenant_token_at", "tenant_id", "token_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    token_id: Mapped[int] = mapped_column(ForeignKey("scim_tokens.id"))
    at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    method: Mapped[str] = mapped_column(String(10))
    path: Mapped[str] = mapped_column(String(300))
    resource_type: Mapped[str | None] = mapped_column(String(20))
    resource_id: Mapped[str | None] = mapped_column(String(64))
    # created, updated, deactivated, reactivated, deleted, unchanged or refused
    outcome: Mapped[str] = mapped_column(String(20))
    status: Mapped[int] = mapped_column(Integer)
    detail: Mapped[str | None] = mapped_column(Text)


class ScimUser(TenantScoped, Model):
    """What SCIM knows of a person: the userName the provider gave, its externalId, the ETag version."""

    __tablename__ = "scim_users"
    __table_args__ = (
        tenant_unique("user_id"),
        # userName is caseExact false (RFC 7643 §4.1.1): two that differ only in case are one.
        tenant_unique("user_name_key"),
        Index("ix_scim_users_tenant_external_id", "tenant_id", "external_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    user_name: Mapped[str] = mapped_column(String(254))
    user_name_key: Mapped[str] = mapped_column(String(254))
    external_id: Mapped[str | None] = mapped_column(String(254))
    # The parts of the name the provider sent; the person's full name is what Atrium shows.
    given_name: Mapped[str | None] = mapped_column(String(200))
    family_name: Mapped[str | None] = mapped_column(String(200))
    # What a client sent that Atrium's own fields do not hold: name.formatted, the email's type and
    # primary flag, and the attributes it removed that Atrium still needs a value for (displayName, active).
    details: Mapped[dict] = mapped_column(JSON, default=dict)
    version: Mapped[int] = mapped_column(Integer, default=1)
    # Set by DELETE: the person is deactivated with every record kept, and the resource answers 404.
    deleted_at: Mapped[datetime | None] = mapped_column(UtcDateTime())

    user: Mapped[User] = relationship()


class ScimGroup(TenantScoped, Model):
    """What SCIM knows of a group: its externalId and the ETag version."""

    __tablename__ = "scim_groups"
    __table_args__ = (tenant_unique("group_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id"))
    external_id: Mapped[str | None] = mapped_column(String(254))
    version: Mapped[int] = mapped_column(Integer, default=1)
    deleted_at: Mapped[datetime | None] = mapped_column(UtcDateTime())

    group: Mapped[Group] = relationship()
