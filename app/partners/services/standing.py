"""How partner companies stand against their tier's targets, a company's people, and the export.

A company's people are the active people of its organisation unit's subtree. A person counts toward
a certification while they hold it today: their record is certified or expiring (renewal window or
grace period) and has not lapsed, whether or not the nightly sweep has moved it on yet.

Who sees which company: tenant admins and the program's administrators every company; anyone else
(a partner manager) the companies inside their reach, that is inside their own organisation unit's
subtree. A company is counted whole, so one that only some of the manager's reports work at stays
out: its numbers would tell of people beyond their reach.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import CTE, ColumnElement, Select, and_, false, func, or_, select, true

from app import audit
from app.accounts import org
from app.accounts import permissions as perms
from app.accounts.models import OrgUnit, User, UserStatus
from app.accounts.org import subtree_select
from app.certifications.models import HOLDING, Certification, CertificationRecord
from app.csvcells import csv_safe
from app.extensions import db
from app.partners.models import PartnerCompany, PartnerTier, PartnerTierTarget
from app.tenancy.models import utcnow

# ---------------------------------------------------------------- whose companies


def sees_every_company(viewer: Any) -> bool:
    """Tenant admins and the program's administrators see every company; a partner manager, their own."""
    return bool(org.sees_everyone(viewer) or viewer.can(perms.PARTNERS_MANAGE))


def companies_within_reach(viewer: Any) -> ColumnElement[bool]:
    """A criterion on PartnerCompany: the companies *viewer* may see (every one, or their subtree's)."""
    if sees_every_company(viewer):
        return true()
    if viewer.org_unit_id is None:
        return false()  # placed in no unit, they reach no company
    return PartnerCompany.org_unit_id.in_(subtree_select(viewer.org_unit_id))


def sees_company(viewer: Any, company: PartnerCompany) -> bool:
    """Whether *viewer* may open *company*'s page (one statement, none for whoever sees every company)."""
    if sees_every_company(viewer):
        return True
    if viewer.org_unit_id is None:
        return False
    return company.org_unit_id in org.subtree_ids(viewer.org_unit_id)


# ---------------------------------------------------------------- how companies stand


@dataclass
class TargetLine:
    """One certification a company's tier asks for: how many hold it today, the target, what is missing."""

    certification_id: int
    title: str
    target: int
    holding: int = 0

    @property
    def shortfall(self) -> int:
        return max(0, self.target - self.holding)


@dataclass
class CompanyStanding:
    unit_id: int
    name: str
    tier_id: int
    tier_name: str
    people: int = 0
    lines: list[TargetLine] = field(default_factory=list)

    @property
    def below(self) -> bool:
        return any(line.shortfall for line in self.lines)

    @property
    def shortfall(self) -> int:
        return sum(line.shortfall for line in self.lines)


def holds_today(now: datetime) -> ColumnElement[bool]:
    """The records whose holder holds the certification at *now* (certified or expiring, not lapsed)."""
    lapses = func.coalesce(CertificationRecord.grace_until, CertificationRecord.expires_at)
    return and_(CertificationRecord.state.in_(HOLDING), or_(lapses.is_(None), lapses > now))


def _company_units(companies: Select[Any]) -> CTE:
    """(company_id, unit_id) of every unit in each company of *companies* (org unit ids), its own included."""
    anchor = companies.subquery()
    tree = select(anchor.c.org_unit_id.label("company_id"), anchor.c.org_unit_id.label("unit_id")).cte(
        "company_units", recursive=True
    )
    below = select(tree.c.company_id, OrgUnit.id).join(tree, OrgUnit.parent_id == tree.c.unit_id)
    return tree.union(below)


def _standings(
    *,
    tier_id: int | None = None,
    unit_id: int | None = None,
    within: ColumnElement[bool] | None = None,
    now: datetime | None = None,
) -> list[CompanyStanding]:
    """How each partner company stands (one tier's or one company's, of those *within* a reach): four
    statements for any number."""
    now = now or utcnow()
    criteria: list[ColumnElement[bool]] = [] if within is None else [within]
    if tier_id is not None:
        criteria.append(PartnerCompany.tier_id == tier_id)
    if unit_id is not None:
        criteria.append(PartnerCompany.org_unit_id == unit_id)
    companies = db.session.execute(
        select(PartnerCompany.org_unit_id, OrgUnit.name, PartnerTier.id, PartnerTier.name)
        .join(OrgUnit, OrgUnit.id == PartnerCompany.org_unit_id)
        .join(PartnerTier, PartnerTier.id == PartnerCompany.tier_id)
        .where(*criteria)
    ).all()
    if not companies:
        return []
    targets: dict[int, list[tuple[int, str, int]]] = {}
    for target_tier, cert_id, title, number in db.session.execute(
        select(
            PartnerTierTarget.tier_id,
            PartnerTierTarget.certification_id,
            Certification.title,
            PartnerTierTarget.target,
        )
        .join(Certification, Certification.id == PartnerTierTarget.certification_id)
        .order_by(func.lower(Certification.title), Certification.id)
    ):
        targets.setdefault(target_tier, []).append((cert_id, title, number))
    tree = _company_units(select(PartnerCompany.org_unit_id).where(*criteria))
    active = User.status == UserStatus.active.value
    people: dict[int, int] = dict(
        db.session.execute(
            select(tree.c.company_id, func.count(func.distinct(User.id)))
            .select_from(tree)
            .join(User, User.org_unit_id == tree.c.unit_id)
            .where(active)
            .group_by(tree.c.company_id)
        ).all()
    )
    holding: dict[tuple[int, int], int] = {}
    cert_ids = sorted({cert_id for lines in targets.values() for cert_id, _t, _n in lines})
    if cert_ids:
        for company_id, cert_id, count in db.session.execute(
            select(
                tree.c.company_id, CertificationRecord.certification_id, func.count(func.distinct(User.id))
            )
            .select_from(tree)
            .join(User, User.org_unit_id == tree.c.unit_id)
            .join(CertificationRecord, CertificationRecord.user_id == User.id)
            .where(active, CertificationRecord.certification_id.in_(cert_ids), holds_today(now))
            .group_by(tree.c.company_id, CertificationRecord.certification_id)
        ):
            holding[(company_id, cert_id)] = count
    standings = []
    for company_id, name, company_tier, tier_name in companies:
        standing = CompanyStanding(company_id, name, company_tier, tier_name, people.get(company_id, 0))
        for cert_id, title, number in targets.get(company_tier, []):
            standing.lines.append(TargetLine(cert_id, title, number, holding.get((company_id, cert_id), 0)))
        standings.append(standing)
    return standings


def program(
    *,
    tier_id: int | None = None,
    certification_id: int | None = None,
    viewer: Any = None,
    now: datetime | None = None,
) -> list[CompanyStanding]:
    """Every partner company (*viewer*'s, see :func:`companies_within_reach`) against its tier's targets:
    those below target first, then by name.

    *tier_id* keeps one tier's companies; *certification_id* keeps the companies whose tier sets a
    target for that certification, showing and judging only that target.
    """
    within = None if viewer is None else companies_within_reach(viewer)
    standings = _standings(tier_id=tier_id, within=within, now=now)
    if certification_id is not None:
        for standing in standings:
            standing.lines = [line for line in standing.lines if line.certification_id == certification_id]
        standings = [s for s in standings if s.lines]
    standings.sort(key=lambda s: (not s.below, s.name.casefold(), s.unit_id))
    return standings


def standing_of(company: PartnerCompany, now: datetime | None = None) -> CompanyStanding | None:
    found = _standings(unit_id=company.org_unit_id, now=now)
    return found[0] if found else None


def targeted_certifications() -> list[tuple[int, str]]:
    """The certifications some tier sets a target for, by title (the program page's filter)."""
    return [
        (cert_id, title)
        for cert_id, title in db.session.execute(
            select(Certification.id, Certification.title)
            .where(Certification.id.in_(select(PartnerTierTarget.certification_id)))
            .order_by(func.lower(Certification.title), Certification.id)
        )
    ]


# ---------------------------------------------------------------- one company's people


@dataclass
class PersonStanding:
    user_id: int
    full_name: str
    email: str | None
    job_title: str | None
    unit_name: str | None
    # certification id -> (state as it stands today, expiry or None); no record: not started
    states: dict[int, tuple[str, datetime | None]]


def company_people(
    company: PartnerCompany, cert_ids: list[int], *, page: int, per_page: int, now: datetime | None = None
) -> tuple[list[PersonStanding], int]:
    """A page of the company's active people by name, with their state in each of *cert_ids*; how many."""
    now = now or utcnow()
    inside = (
        User.org_unit_id.in_(subtree_select(company.org_unit_id)),
        User.status == UserStatus.active.value,
    )
    total = db.session.scalar(select(func.count()).select_from(User).where(*inside)) or 0
    rows = db.session.execute(
        select(User.id, User.full_name, User.email, User.job_title, OrgUnit.name)
        .outerjoin(OrgUnit, OrgUnit.id == User.org_unit_id)
        .where(*inside)
        .order_by(func.lower(User.full_name), User.id)
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    people = [PersonStanding(uid, name, email, title, unit, {}) for uid, name, email, title, unit in rows]
    if people and cert_ids:
        by_id = {p.user_id: p for p in people}
        for user_id, cert_id, state, expires_at, grace_until in db.session.execute(
            select(
                CertificationRecord.user_id,
                CertificationRecord.certification_id,
                CertificationRecord.state,
                CertificationRecord.expires_at,
                CertificationRecord.grace_until,
            ).where(
                CertificationRecord.user_id.in_(list(by_id)),
                CertificationRecord.certification_id.in_(cert_ids),
            )
        ):
            lapses = grace_until or expires_at
            if state in HOLDING and lapses is not None and lapses <= now:
                state = "expired"  # lapsed; the nightly sweep has not moved it yet
            by_id[user_id].states[cert_id] = (state, expires_at)
    return people, total


# ---------------------------------------------------------------- export


def export_rows(standings: Iterable[CompanyStanding]) -> list[list[str]]:
    """The program as CSV rows (a header, then one row per company and certification)."""
    rows = [
        [
            _("Company"),
            _("Tier"),
            _("People"),
            _("Certification"),
            _("Holding"),
            _("Target"),
            _("Shortfall"),
            _("Below target"),
        ]
    ]
    for standing in standings:
        lines: list[TargetLine | None] = list(standing.lines) or [None]
        for line in lines:
            rows.append(
                [
                    standing.name,
                    standing.tier_name,
                    str(standing.people),
                    line.title if line else "",
                    str(line.holding) if line else "",
                    str(line.target) if line else "",
                    str(line.shortfall) if line else "",
                    (_("yes") if line.shortfall else _("no")) if line else "",
                ]
            )
    return rows


def record_export(filters: dict[str, Any], rows: int) -> None:
    """Note in the audit log who took the partner program away, with which filters."""
    audit.record("partner_program.exported", after={**filters, "rows": rows})


def csv_lines(records: list[list[str]]) -> Iterator[str]:
    """Yield *records* as CSV lines, every cell made formula-safe (needs no database or request)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for record in records:
        writer.writerow([csv_safe(cell) for cell in record])
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
