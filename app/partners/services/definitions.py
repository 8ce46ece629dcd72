"""The partner program's definitions: tiers, their targets, and which company is in which tier."""

from __future__ import annotations

from typing import Any

from flask_babel import format_number
from flask_babel import gettext as _
from sqlalchemy import func, select

from app import audit
from app.accounts.models import OrgUnit
from app.certifications.models import Certification, CertificationStatus
from app.errors import ValidationError, ValidationErrors
from app.extensions import db
from app.inputs import whole_number
from app.partners.models import PartnerCompany, PartnerTier, PartnerTierTarget

#: The largest target a tier may set for one certification.
MAX_TARGET = 10_000
#: The highest rank number a tier may have (rank 1 is the top tier).
MAX_RANK = 100


# ---------------------------------------------------------------- tiers


def _clean_name(name: str, tier: PartnerTier | None) -> str:
    name = (name or "").strip()
    if not name:
        raise ValidationError(_("Enter a name for the tier."), field="name")
    if len(name) > 100:
        raise ValidationError(_("Keep the name to 100 characters or fewer."), field="name")
    clash = db.session.scalars(
        select(PartnerTier.id).where(func.lower(PartnerTier.name) == name.lower())
    ).first()
    if clash is not None and (tier is None or clash != tier.id):
        raise ValidationError(_("There is already a tier called “%(name)s”.", name=name), field="name")
    return name


def _clean_rank(rank: Any) -> int:
    try:
        return whole_number(rank, minimum=1, maximum=MAX_RANK)
    except ValueError:
        raise ValidationError(
            _("Enter a whole number from 1 (the top tier) to %(max)s.", max=MAX_RANK), field="rank"
        ) from None


def create_tier(name: str, rank: Any) -> PartnerTier:
    """Add a tier to the partner program; it has no targets until they are set."""
    errors = []
    try:
        name = _clean_name(name, None)
    except ValidationError as exc:
        errors.append(exc)
    try:
        rank = _clean_rank(rank)
    except ValidationError as exc:
        errors.append(exc)
    if errors:
        raise ValidationErrors(errors)
    tier = PartnerTier(name=name, rank=rank)
    db.session.add(tier)
    audit.record("partner_tier.created", target=tier, after={"name": name, "rank": rank})
    return tier


def targets_of(tier: PartnerTier) -> dict[int, int]:
    """Certification id -> target of *tier*."""
    return {t.certification_id: t.target for t in tier.targets}


def target_choices() -> list[Certification]:
    """The certifications a target may name: every one not archived, by title."""
    return list(
        db.session.scalars(
            select(Certification)
            .where(Certification.status != CertificationStatus.archived.value)
            .order_by(Certification.title)
        )
    )


def _clean_targets(raw: dict[int, str]) -> dict[int, int]:
    """Parse *raw* (certification id -> what was typed, "" for no target); every bad value is reported."""
    known = {c.id: c.title for c in target_choices()}
    cleaned: dict[int, int] = {}
    errors = []
    for cert_id, typed in raw.items():
        if cert_id not in known:
            continue
        typed = (typed or "").strip()
        if not typed:
            continue
        try:
            cleaned[cert_id] = whole_number(typed, minimum=0, maximum=MAX_TARGET)
        except ValueError:
            errors.append(
                ValidationError(
                    _(
                        "%(certification)s: enter a whole number of people from 0 to %(max)s, or leave it "
                        "empty for no target.",
                        certification=known[cert_id],
                        max=format_number(MAX_TARGET),
                    ),
                    field=f"target-{cert_id}",
                )
            )
    if errors:
        raise ValidationErrors(errors)
    return cleaned


def update_tier(tier: PartnerTier, name: str, rank: Any, targets: dict[int, str]) -> PartnerTier:
    """Rename or re-rank *tier* and set its targets (certification id -> typed number; empty: none)."""
    errors: list[ValidationError] = []
    cleaned_targets: dict[int, int] = {}
    for step in ("name", "rank", "targets"):
        try:
            if step == "name":
                name = _clean_name(name, tier)
            elif step == "rank":
                rank = _clean_rank(rank)
            else:
                cleaned_targets = _clean_targets(targets)
        except ValidationErrors as exc:
            errors.extend(exc.errors)
        except ValidationError as exc:
            errors.append(exc)
    if errors:
        raise ValidationErrors(errors)
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    if tier.name != name:
        before["name"], after["name"] = tier.name, name
        tier.name = name
    if tier.rank != rank:
        before["rank"], after["rank"] = tier.rank, rank
        tier.rank = rank
    current = targets_of(tier)
    # Targets of certifications archived since are not on the form: they stay as they were.
    offered = {c.id for c in target_choices()}
    cleaned_targets.update({c: n for c, n in current.items() if c not in offered})
    if current != cleaned_targets:
        titles = {c.id: c.title for c in target_choices()}
        before["targets"] = _describe_targets(current, titles)
        after["targets"] = _describe_targets(cleaned_targets, titles)
        by_cert = {t.certification_id: t for t in tier.targets}
        for cert_id, row in by_cert.items():
            if cert_id not in cleaned_targets:
                tier.targets.remove(row)
        for cert_id, number in cleaned_targets.items():
            if cert_id in by_cert:
                by_cert[cert_id].target = number
            else:
                tier.targets.append(PartnerTierTarget(certification_id=cert_id, target=number))
    if after:
        audit.record("partner_tier.updated", target=tier, before=before, after=after)
    return tier


def _describe_targets(targets: dict[int, int], titles: dict[int, str]) -> list[str]:
    return [f"{titles.get(cert_id, cert_id)}: {number}" for cert_id, number in sorted(targets.items())]


def delete_tier(tier: PartnerTier) -> None:
    """Remove a tier that no company holds."""
    held = db.session.scalar(select(func.count()).where(PartnerCompany.tier_id == tier.id)) or 0
    if held:
        raise ValidationError(
            _(
                "Companies are in this tier: move them to another tier first (%(n)s companies).",
                n=format_number(held),
            )
        )
    audit.record("partner_tier.deleted", target=tier, before={"name": tier.name, "rank": tier.rank})
    db.session.delete(tier)


def list_tiers() -> list[PartnerTier]:
    return list(db.session.scalars(select(PartnerTier).order_by(PartnerTier.rank, PartnerTier.name)))


# ---------------------------------------------------------------- companies


def company_of(unit_id: int) -> PartnerCompany | None:
    return db.session.scalars(select(PartnerCompany).where(PartnerCompany.org_unit_id == unit_id)).first()


def assign_tier(unit_id: int | None, tier_id: int | None) -> PartnerCompany:
    """Make organisation unit *unit_id* a partner company of tier *tier_id*, or move it to that tier."""
    unit = db.session.get(OrgUnit, unit_id) if unit_id else None
    tier = db.session.get(PartnerTier, tier_id) if tier_id else None
    errors = []
    if unit is None:
        errors.append(
            ValidationError(_("Choose the company's organisation unit from the list."), "org_unit_id")
        )
    if tier is None:
        errors.append(ValidationError(_("Choose a tier from the list."), "tier_id"))
    if errors:
        raise ValidationErrors(errors)
    assert unit is not None and tier is not None
    company = company_of(unit.id)
    if company is None:
        company = PartnerCompany(org_unit_id=unit.id, tier_id=tier.id)
        db.session.add(company)
        db.session.flush()
        audit.record("partner_company.tier_set", target=unit, after={"tier": tier.name})
    elif company.tier_id != tier.id:
        old = db.session.get(PartnerTier, company.tier_id)
        company.tier_id = tier.id
        audit.record(
            "partner_company.tier_set",
            target=unit,
            before={"tier": old.name if old else None},
            after={"tier": tier.name},
        )
    return company


def remove_company(company: PartnerCompany) -> None:
    """Take a company out of the partner program; its unit and people stay as they are."""
    unit = db.session.get(OrgUnit, company.org_unit_id)
    tier = db.session.get(PartnerTier, company.tier_id)
    audit.record("partner_company.removed", target=unit, before={"tier": tier.name if tier else None})
    db.session.delete(company)


def list_companies() -> list[tuple[PartnerCompany, str, str]]:
    """Every partner company with its unit's name and its tier's name, by name."""
    rows = db.session.execute(
        select(PartnerCompany, OrgUnit.name, PartnerTier.name)
        .join(OrgUnit, OrgUnit.id == PartnerCompany.org_unit_id)
        .join(PartnerTier, PartnerTier.id == PartnerCompany.tier_id)
        .order_by(func.lower(OrgUnit.name), OrgUnit.id)
    ).all()
    return [(company, unit_name, tier_name) for company, unit_name, tier_name in rows]
