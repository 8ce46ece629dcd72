"""The partner program: tiers, what each tier must hold (certified people per certification), companies."""

from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.accounts.models import OrgUnit
from app.certifications.models import Certification
from app.db_types import UtcDateTime
from app.extensions import Model
from app.tenancy.models import TenantScoped, tenant_unique, utcnow


class PartnerTier(TenantScoped, Model):
    """A level of the partner program (Gold, Silver, Registered); rank 1 is the highest."""

    __tablename__ = "partner_tiers"
    __table_args__ = (tenant_unique("name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    rank: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)

    targets: Mapped[list[PartnerTierTarget]] = relationship(
        back_populates="tier", cascade="all, delete-orphan", order_by="PartnerTierTarget.id"
    )


class PartnerTierTarget(TenantScoped, Model):
    """How many people of a company of *tier* must currently hold *certification*."""

    __tablename__ = "partner_tier_targets"
    __table_args__ = (tenant_unique("tier_id", "certification_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    tier_id: Mapped[int] = mapped_column(ForeignKey("partner_tiers.id"), index=True)
    certification_id: Mapped[int] = mapped_column(ForeignKey("certifications.id"), index=True)
    target: Mapped[int] = mapped_column(Integer, default=1)

    tier: Mapped[PartnerTier] = relationship(back_populates="targets")
    certification: Mapped[Certification] = relationship()


class PartnerCompany(TenantScoped, Model):
    """An organisation unit that is a partner company, and its tier; its people are its subtree's."""

    __tablename__ = "partner_companies"
    __table_args__ = (tenant_unique("org_unit_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # What an admin removing the unit is told still uses it (app/accounts/services/org_units.py).
    org_unit_id: Mapped[int] = mapped_column(
        ForeignKey("org_units.id"), info={"unit_use": _l("the partner program")}
    )
    tier_id: Mapped[int] = mapped_column(ForeignKey("partner_tiers.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)

    org_unit: Mapped[OrgUnit] = relationship()
    tier: Mapped[PartnerTier] = relationship()
