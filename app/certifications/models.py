"""Certifications (what a person must earn and keep), their requirements, people's records and history."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import JSON, Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db_types import UtcDateTime
from app.extensions import Model
from app.tenancy.models import TenantScoped, tenant_unique, utcnow


class CertificationStatus(enum.StrEnum):
    draft = "draft"
    published = "published"
    archived = "archived"


class Validity(enum.StrEnum):
    months = "months"  # N months from the award
    fixed_date = "fixed_date"  # until one date, whenever it was awarded
    forever = "forever"


class Phase(enum.StrEnum):
    initial = "initial"
    renewal = "renewal"


class RequirementKind(enum.StrEnum):
    course = "course"
    path = "path"
    quiz = "quiz"
    checkpoint = "checkpoint"  # a practical checkpoint lesson, signed off by a manager or instructor
    policy = "policy"


class RecordState(enum.StrEnum):
    not_started = "not_started"
    in_progress = "in_progress"
    certified = "certified"
    expiring = "expiring"  # inside the renewal window, or past expiry inside the grace period
    expired = "expired"
    revoked = "revoked"


# States in which the person holds the certification (the award is current).
HOLDING = (RecordState.certified.value, RecordState.expiring.value)


class Certification(TenantScoped, Model):
    """A certification of a tenant: what earns it, how long it lasts, when to renew and remind."""

    __tablename__ = "certifications"
    __table_args__ = (tenant_unique("title"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    validity: Mapped[str] = mapped_column(String(20), default=Validity.months.value)
    validity_months: Mapped[int | None] = mapped_column(Integer)
    valid_until: Mapped[date | None] = mapped_column(Date)
    renewal_window_days: Mapped[int] = mapped_column(Integer, default=60)
    grace_days: Mapped[int] = mapped_column(Integer, default=0)
    # Days before expiry a reminder goes out; 0 is the day it expires.
    reminder_days: Mapped[list[int]] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(20), default=CertificationStatus.draft.value)
    # Who must hold it: "everyone", "restricted" (the audiences below) or "nobody" (assigned by hand).
    visibility: Mapped[str] = mapped_column(String(20), default="nobody")
    library_version_id: Mapped[int | None] = mapped_column(ForeignKey("library_versions.id"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)

    requirements: Mapped[list[Requirement]] = relationship(
        order_by="Requirement.position", cascade="all, delete-orphan"
    )
    audiences: Mapped[list[CertificationAudience]] = relationship(cascade="all, delete-orphan")

    def requirements_of(self, phase: str) -> list[Requirement]:
        return [r for r in self.requirements if r.phase == phase]


class CertificationAudience(TenantScoped, Model):
    __tablename__ = "certification_audiences"

    id: Mapped[int] = mapped_column(primary_key=True)
    certification_id: Mapped[int] = mapped_column(ForeignKey("certifications.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # group | org_unit | job_title
    value: Mapped[str] = mapped_column(String(200))


class Requirement(TenantScoped, Model):
    """One thing to do for the first award (initial) or a renewal: course, path, quiz, checkpoint, policy."""

    __tablename__ = "certification_requirements"
    __table_args__ = (
        tenant_unique("certification_id", "phase", "kind", "item_id"),
        Index("ix_certification_requirements_item", "tenant_id", "kind", "item_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    certification_id: Mapped[int] = mapped_column(ForeignKey("certifications.id"), index=True)
    phase: Mapped[str] = mapped_column(String(20), default=Phase.initial.value)
    kind: Mapped[str] = mapped_column(String(20))
    # The course, path, quiz, checkpoint lesson or policy id (the kind says which table).
    item_id: Mapped[int] = mapped_column(Integer)
    min_score: Mapped[int | None] = mapped_column(Integer)  # quizzes: the lowest score that counts
    title: Mapped[str] = mapped_column(String(200), default="")  # the item's title when it was chosen
    position: Mapped[int] = mapped_column(Integer, default=0)


class CertificationRecord(TenantScoped, Model):
    """A person's standing in one certification; it moves through states and is never deleted."""

    __tablename__ = "certification_records"
    __table_args__ = (
        tenant_unique("certification_id", "user_id"),
        Index("ix_certification_records_state_expiry", "tenant_id", "state", "expires_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    certification_id: Mapped[int] = mapped_column(ForeignKey("certifications.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    state: Mapped[str] = mapped_column(String(20), default=RecordState.not_started.value)
    cycle: Mapped[int] = mapped_column(Integer, default=0)  # 1 on the first award, +1 on each renewal
    awarded_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    expires_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    grace_until: Mapped[datetime | None] = mapped_column(UtcDateTime())
    # When the renewal window opened for this cycle: renewal work done from then on counts.
    renewal_opened_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    # How the current award was earned: {"how": "requirements" | "manual" | "import" | "renewal",
    # "note", "file_key", "filename"}
    evidence: Mapped[dict] = mapped_column(JSON, default=dict)
    revoked_reason: Mapped[str | None] = mapped_column(Text)
    state_before_revocation: Mapped[str | None] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow, onupdate=utcnow)

    certification: Mapped[Certification] = relationship()
    history: Mapped[list[Transition]] = relationship(order_by="Transition.id", viewonly=True)

    @property
    def holds(self) -> bool:
        return self.state in HOLDING


class Transition(TenantScoped, Model):
    """One move of a record from a state to another: when, by whom, why. Append-only."""

    __tablename__ = "certification_transitions"

    id: Mapped[int] = mapped_column(primary_key=True)
    record_id: Mapped[int] = mapped_column(ForeignKey("certification_records.id"), index=True)
    from_state: Mapped[str] = mapped_column(String(20))
    to_state: Mapped[str] = mapped_column(String(20))
    cycle: Mapped[int] = mapped_column(Integer, default=0)
    at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reason: Mapped[str | None] = mapped_column(Text)


class CertificationNotice(TenantScoped, Model):
    """That a reminder or digest was sent: written with the send's enqueue, so a retry never sends twice."""

    __tablename__ = "certification_notices"
    __table_args__ = (tenant_unique("key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # "reminder:<record>:<cycle>:<days>" or "digest:<manager>:<ISO week>"
    key: Mapped[str] = mapped_column(String(100))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime())  # the job's own mark, for a retry
