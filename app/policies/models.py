"""Policies with versions (each with the SHA-256 of its content) and append-only acknowledgements."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db_types import UtcDateTime
from app.extensions import Model
from app.tenancy.models import TenantScoped, tenant_unique, utcnow


class PolicyStatus(enum.StrEnum):
    draft = "draft"
    published = "published"
    archived = "archived"


class Policy(TenantScoped, Model):
    """A document people must read and accept, such as a Code of Conduct."""

    __tablename__ = "policies"
    __table_args__ = (tenant_unique("title"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(20), default=PolicyStatus.draft.value)
    # Who must accept it: "everyone", or the groups and org units in policy_audiences.
    visibility: Mapped[str] = mapped_column(String(20), default="everyone")
    due_days: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)

    versions: Mapped[list[PolicyVersion]] = relationship(
        back_populates="policy", order_by="PolicyVersion.number", cascade="all, delete-orphan"
    )
    audiences: Mapped[list[PolicyAudience]] = relationship(cascade="all, delete-orphan")

    @property
    def published_versions(self) -> list[PolicyVersion]:
        return [v for v in self.versions if v.published_at is not None]

    @property
    def current_version(self) -> PolicyVersion | None:
        published = self.published_versions
        return published[-1] if published else None

    @property
    def binding_version(self) -> PolicyVersion | None:
        """The newest version that asks everyone again: the first one, or the latest material change."""
        binding = None
        for version in self.published_versions:
            if binding is None or version.material:
                binding = version
        return binding


class PolicyAudience(TenantScoped, Model):
    __tablename__ = "policy_audiences"

    id: Mapped[int] = mapped_column(primary_key=True)
    policy_id: Mapped[int] = mapped_column(ForeignKey("policies.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # group | org_unit
    value: Mapped[str] = mapped_column(String(200))


class PolicyVersion(TenantScoped, Model):
    """One version of a policy; once published its text and hash never change."""

    __tablename__ = "policy_versions"
    __table_args__ = (tenant_unique("policy_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    policy_id: Mapped[int] = mapped_column(ForeignKey("policies.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    body_markdown: Mapped[str] = mapped_column(Text, default="")
    body_html: Mapped[str] = mapped_column(Text, default="")
    material: Mapped[bool] = mapped_column(default=True)
    # A version is either Markdown (body_*) or an uploaded PDF, kept in storage() under document_key.
    document_key: Mapped[str | None] = mapped_column(String(200))
    document_filename: Mapped[str | None] = mapped_column(String(200))
    document_size: Mapped[int | None] = mapped_column(Integer)
    sha256: Mapped[str | None] = mapped_column(String(64))
    published_at: Mapped[datetime | None] = mapped_column(UtcDateTime())

    policy: Mapped[Policy] = relationship(back_populates="versions")

    @property
    def is_pdf(self) -> bool:
        return self.document_key is not None


class Acknowledgement(TenantScoped, Model):
    """A person's signed acceptance of one policy version. Never edited or deleted."""

    __tablename__ = "policy_acknowledgements"
    __table_args__ = (
        tenant_unique("user_id", "version_id"),
        # Who accepted a version, by time (its report's pages and total), and a policy (its audience counts),
        # from the indexes alone.
        Index(
            "ix_policy_acknowledgements_tenant_version_time",
            "tenant_id",
            "version_id",
            "acknowledged_at",
            "id",
        ),
        Index(
            "ix_policy_acknowledgements_tenant_policy_user", "tenant_id", "policy_id", "user_id", "version_id"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    policy_id: Mapped[int] = mapped_column(ForeignKey("policies.id"), index=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("policy_versions.id"), index=True)
    content_sha256: Mapped[str] = mapped_column(String(64))
    # The language of the text signed: None for the original, else a translation's (content_sha256 hashes it).
    locale: Mapped[str | None] = mapped_column(String(10))
    signature: Mapped[str] = mapped_column(String(200))
    ip: Mapped[str | None] = mapped_column(String(45))
    user_agent: Mapped[str | None] = mapped_column(String(500))
    acknowledged_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)

    version: Mapped[PolicyVersion] = relationship()


class PolicyReceipt(TenantScoped, Model):
    """The PDF receipt of one acknowledgement, rendered once by a job and kept in storage()."""

    __tablename__ = "policy_receipts"
    __table_args__ = (tenant_unique("acknowledgement_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    acknowledgement_id: Mapped[int] = mapped_column(ForeignKey("policy_acknowledgements.id"))
    storage_key: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
