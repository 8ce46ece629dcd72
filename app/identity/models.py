"""The ways into a portal besides a local password: identity providers (SAML, OpenID Connect, LDAP),
the identities that link a person to a provider's subject, and the portal's sign-in settings."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.accounts.models import User
from app.db_types import UtcDateTime
from app.extensions import Model
from app.tenancy.models import TenantScoped, tenant_unique, utcnow


class ProviderKind(enum.StrEnum):
    saml = "saml"
    oidc = "oidc"
    ldap = "ldap"


# The Atrium fields a provider's attributes or claims map onto (the mapping table's left column).
MAPPED_FIELDS = (
    "email",
    "given_name",
    "family_name",
    "full_name",
    "employee_id",
    "job_title",
    "org_unit",
    "manager",
    "locale",
    "groups",
)


class IdentityProvider(TenantScoped, Model):
    """One identity provider of one portal. Settings are per kind; secrets are sealed (app.sealing).

    ``domains`` are the email domains whose people it serves (home-realm discovery); with
    ``sso_only`` a local password is refused for those domains, except for break-glass accounts.
    ``attribute_map`` maps an Atrium field (MAPPED_FIELDS) to the attribute or claim name it comes
    from; ``group_map`` is a list of ``{"value": <group name at the provider>, "group_id": id}`` or
    ``{"value": ..., "role_key": key}`` rows. Deactivated, not deleted: identities keep pointing at it.
    """

    __tablename__ = "identity_providers"
    __table_args__ = (tenant_unique("slug"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))
    name: Mapped[str] = mapped_column(String(120))
    slug: Mapped[str] = mapped_column(String(64))
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    domains: Mapped[list[str]] = mapped_column(JSON, default=list)
    sso_only: Mapped[bool] = mapped_column(Boolean, default=False)
    settings: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    secret_sealed: Mapped[bytes | None] = mapped_column(LargeBinary)
    attribute_map: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    group_map: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    create_people: Mapped[bool] = mapped_column(Boolean, default=True)
    last_success_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    last_failure_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    last_failure_reason: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow, onupdate=utcnow)
    deactivated_at: Mapped[datetime | None] = mapped_column(UtcDateTime())

    @property
    def secret_purpose(self) -> str:
        return f"identity-provider:{self.tenant_id}:{self.id}"

    @property
    def is_active(self) -> bool:
        return self.enabled and self.deactivated_at is None


class UserIdentity(TenantScoped, Model):
    """A person's account at one provider, by the provider's stable subject id (not by email)."""

    __tablename__ = "user_identities"
    __table_args__ = (
        UniqueConstraint("tenant_id", "provider_id", "subject", name="uq_user_identities_subject"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("identity_providers.id"), index=True)
    subject: Mapped[str] = mapped_column(String(512))
    email_at_provider: Mapped[str | None] = mapped_column(String(254))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    last_sign_in_at: Mapped[datetime | None] = mapped_column(UtcDateTime())

    user: Mapped[User] = relationship()
    provider: Mapped[IdentityProvider] = relationship()


class SignInSettings(TenantScoped, Model):
    """How a portal lets people in, one row per tenant (absent: the defaults below)."""

    __tablename__ = "sign_in_settings"
    __table_args__ = (tenant_unique(),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # Send everyone straight to this provider (one way in); break-glass accounts use /sign-in?local=1.
    default_provider_id: Mapped[int | None] = mapped_column(ForeignKey("identity_providers.id"))
    # Local accounts that may use a password even where SSO is the only way in.
    break_glass_user_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    require_two_step_for_admins: Mapped[bool] = mapped_column(Boolean, default=False)
    badge_sign_in: Mapped[bool] = mapped_column(Boolean, default=False)
    shared_device_idle_minutes: Mapped[int] = mapped_column(Integer, default=3)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow, onupdate=utcnow)
