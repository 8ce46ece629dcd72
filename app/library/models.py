"""Library packages and versions (global) and their deployments to tenants (tenant-scoped)."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db_types import UtcDateTime
from app.extensions import Model
from app.tenancy.models import TenantScoped, tenant_unique, utcnow


class VersionStatus(enum.StrEnum):
    draft = "draft"
    published = "published"


class LibraryPackage(Model):
    """A piece of content the platform publishes to tenants. A global table."""

    __tablename__ = "library_packages"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(100), unique=True)
    # Who receives it automatically: tenant audiences and partner tiers (empty tiers = every tier).
    audiences: Mapped[list[str]] = mapped_column(JSON, default=list)
    partner_tiers: Mapped[list[str]] = mapped_column(JSON, default=list)
    auto_deploy: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)

    versions: Mapped[list[LibraryVersion]] = relationship(
        back_populates="package", order_by="LibraryVersion.number", cascade="all, delete-orphan"
    )

    @property
    def latest_published(self) -> LibraryVersion | None:
        published = [v for v in self.versions if v.status == VersionStatus.published.value]
        return published[-1] if published else None

    @property
    def draft(self) -> LibraryVersion | None:
        return next((v for v in self.versions if v.status == VersionStatus.draft.value), None)

    @property
    def title(self) -> str:
        current = self.latest_published or self.draft
        return current.title if current else self.slug


class LibraryVersion(Model):
    """One version of a package; immutable once published. A global table."""

    __tablename__ = "library_versions"
    __table_args__ = (UniqueConstraint("package_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    package_id: Mapped[int] = mapped_column(ForeignKey("library_packages.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20), default=VersionStatus.draft.value)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    language: Mapped[str] = mapped_column(String(10), default="en")
    duration_minutes: Mapped[int] = mapped_column(Integer, default=0)
    category: Mapped[str | None] = mapped_column(String(100))
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    # [{"kind": "page"|"video"|"file", "title": ..., "required": bool, ...kind fields}]
    lessons: Mapped[list[dict]] = mapped_column(JSON, default=list)
    # What changed since the previous version, for tenant admins deciding whether to upgrade.
    release_notes: Mapped[str] = mapped_column(Text, default="", server_default="")
    # A certification the package carries (None: none): {"title", "description", "validity_months",
    # "renewal_window_days", "grace_days", "reminder_days", "min_score", "everyone"}. Each tenant that
    # receives the package gets it, requiring the package's course and its quizzes.
    certification: Mapped[dict | None] = mapped_column(JSON)
    # The package's own translations, which become each receiving portal's translations of its copy:
    # {locale: {"course": {field: text}, "lessons": [{field: text}, ...by position],
    #           "questions": [{field: text}, ...by position across the version's quizzes]}}.
    translations: Mapped[dict | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    published_at: Mapped[datetime | None] = mapped_column(UtcDateTime())

    package: Mapped[LibraryPackage] = relationship(back_populates="versions")

    @property
    def is_published(self) -> bool:
        return self.status == VersionStatus.published.value


class LibraryDeployment(TenantScoped, Model):
    """A tenant's copy of a package, pinned to one version until the tenant upgrades."""

    __tablename__ = "library_deployments"
    __table_args__ = (tenant_unique("package_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    package_id: Mapped[int] = mapped_column(ForeignKey("library_packages.id"), index=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("library_versions.id"), index=True)
    automatic: Mapped[bool] = mapped_column(default=False)
    hidden: Mapped[bool] = mapped_column(default=False)
    deployed_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    upgraded_at: Mapped[datetime | None] = mapped_column(UtcDateTime())

    package: Mapped[LibraryPackage] = relationship()
    version: Mapped[LibraryVersion] = relationship()
