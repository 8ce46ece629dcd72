"""Tenants, their domains, and the mixin every tenant-scoped model uses."""

from __future__ import annotations

import enum
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, declared_attr, mapped_column, relationship

from app.db_types import UtcDateTime
from app.extensions import Model


def utcnow() -> datetime:
    return datetime.now(UTC)


class Audience(enum.StrEnum):
    employees = "employees"
    partners = "partners"
    franchise = "franchise"
    customers = "customers"
    other = "other"


class TenantStatus(enum.StrEnum):
    active = "active"
    suspended = "suspended"


PLATFORM_SLUG = "platform"
# Slugs that can never be a tenant's subdomain.
RESERVED_SLUGS = frozenset(
    {PLATFORM_SLUG, "www", "api", "admin", "app", "mail", "static", "assets", "cdn", "status", "auth", "sso"}
)


class Tenant(Model):
    """A portal: one audience's own branded, isolated space. A global table."""

    __tablename__ = "tenants"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(63), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    audience: Mapped[str] = mapped_column(String(20), default=Audience.employees.value)
    partner_tier: Mapped[str | None] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(20), default=TenantStatus.active.value)
    is_platform: Mapped[bool] = mapped_column(default=False)
    default_locale: Mapped[str] = mapped_column(String(10), default="en")
    enabled_locales: Mapped[list[str]] = mapped_column(JSON, default=lambda: ["en"])
    time_zone: Mapped[str] = mapped_column(String(64), default="UTC")
    theme: Mapped[str] = mapped_column(String(64), default="default")
    branding: Mapped[dict] = mapped_column(JSON, default=dict)
    # A sign-in ends after this long without a request, and this long after it began, whatever happens.
    session_idle_minutes: Mapped[int] = mapped_column(default=8 * 60)
    session_max_hours: Mapped[int] = mapped_column(default=7 * 24)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    suspended_at: Mapped[datetime | None] = mapped_column(UtcDateTime())

    domains: Mapped[list[TenantDomain]] = relationship(
        back_populates="tenant", order_by="TenantDomain.domain"
    )

    @property
    def is_active(self) -> bool:
        return self.status == TenantStatus.active.value

    def __repr__(self) -> str:
        return f"<Tenant {self.slug}>"


class TenantDomain(Model):
    """A custom domain a tenant is served on once it is verified. A global table."""

    __tablename__ = "tenant_domains"

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"), index=True)
    domain: Mapped[str] = mapped_column(String(253), unique=True)
    verified: Mapped[bool] = mapped_column(default=False)
    verification_token: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)

    tenant: Mapped[Tenant] = relationship(back_populates="domains")


class TenantScoped:
    """Mixin for every model that holds a tenant's people data or configuration.

    ``tenant_id`` is NOT NULL and indexed; reads are filtered by the current
    tenant automatically and writes are stamped and checked (see scoping.py);
    PostgreSQL enforces the same with row-level security.
    """

    # Read by tenancy.context (which imports no model) to take other tenants' objects out of a session.
    __tenant_scoped__ = True

    @declared_attr
    @classmethod
    def tenant_id(cls) -> Mapped[int]:
        return mapped_column(Integer, ForeignKey("tenants.id"), nullable=False, index=True)


def tenant_unique(*columns: str, name: str | None = None) -> UniqueConstraint:
    """A unique constraint that always includes tenant_id first."""
    return UniqueConstraint("tenant_id", *columns, name=name)


def insert_unless_exists(model: type[TenantScoped], **values: Any) -> int | None:
    """Insert a row of *model* for the current tenant; its id, or None if a unique key already has one.

    ``INSERT … ON CONFLICT DO NOTHING``: of requests racing to create the same row, one inserts it
    and the others wait for it and insert nothing. Neither an error to catch (PostgreSQL aborts the
    transaction) nor a savepoint (pysqlite commits early when one opens the transaction) is needed.
    """
    from sqlalchemy.dialects import postgresql, sqlite

    from app.extensions import db
    from app.tenancy import context

    dialect = db.session.get_bind().dialect.name
    insert: Any = postgresql.insert if dialect == "postgresql" else sqlite.insert
    values.setdefault("tenant_id", context.current_tenant_id())
    statement = insert(model).values(**values).on_conflict_do_nothing().returning(model.id)  # type: ignore[attr-defined]
    return db.session.execute(statement).scalar()
