"""The demo partner program: Gold asks for three Certified Widget Sellers, Silver for one; five companies,
some below target, awards made through the certification services so history and audit are right."""

from __future__ import annotations

from sqlalchemy import select

from app.accounts import services as accounts
from app.accounts.models import OrgUnit, Role, User
from app.certifications.models import Certification
from app.certifications.services import lifecycle
from app.extensions import db
from app.partners import services as partners
from app.partners.models import PartnerTier
from app.tenancy import as_tenant
from app.tenancy.models import Tenant, utcnow

# company -> (tier, [(rep, how: "held" | "expired" | "revoked" | "started" | "left")])
COMPANIES: dict[str, tuple[str, list[tuple[str, str]]]] = {
    "Northwind Resellers": (
        "Gold",
        [
            ("Nadia North", "held"),
            ("Omar Okafor", "held"),
            ("Priya Patel", "held"),
            ("Quinn Quarry", "started"),
        ],
    ),
    "Fabrikam Solutions": (
        "Gold",
        [("Fatima Farouk", "held"), ("Felix Fischer", "held"), ("Farah Flynn", "expired")],
    ),
    "Litware Partners": (
        "Gold",
        [("Liam Lopez", "held"), ("Lena Larsen", "revoked"), ("Luca Lombardi", "left"), ("Lily Lam", "held")],
    ),
    "Contoso Distribution": ("Silver", [("Carla Costa", "held"), ("Chen Cho", "started")]),
    "Tailspin Traders": ("Silver", [("Tomas Toivonen", "started"), ("Tara Tran", "expired")]),
}
#: The demo partner manager: sees the program, not its administration.
PARTNER_MANAGER = ("channel@partners.example", "Chris Channel")
#: The unit the companies sit under and the partner manager is placed in: a manager sees the companies
#: inside their own unit only.
NETWORK = "Partner network"


def _rep_email(name: str) -> str:
    return name.lower().replace(" ", ".") + "@partners.example"


def _unit(name: str, kind: str = "company", parent: OrgUnit | None = None) -> OrgUnit:
    where_parent = OrgUnit.parent_id == parent.id if parent else OrgUnit.parent_id.is_(None)
    unit = db.session.scalars(select(OrgUnit).where(OrgUnit.name == name, where_parent)).first()
    if unit is None:
        unit = accounts.create_org_unit(name, kind, parent.id if parent else None)
        db.session.flush()
    return unit


def _tier(name: str, rank: int, cert: Certification, target: int) -> PartnerTier:
    tier = db.session.scalars(select(PartnerTier).where(PartnerTier.name == name)).first()
    if tier is None:
        tier = partners.create_tier(name, rank)
        db.session.flush()
        partners.update_tier(tier, name, rank, {cert.id: str(target)})
    return tier


def _rep(name: str, unit: OrgUnit) -> User:
    email = _rep_email(name)
    user = accounts.user_by_email(email)
    if user is None:
        # No password: reps sign in through Partner SSO or a reset link; hashing one each slows the demo.
        user = accounts.create_user(email, name, org_unit_id=unit.id, job_title="Sales rep")
    return user


def _record(cert: Certification, user: User, how: str) -> None:
    record, _new = lifecycle.ensure_record(cert, user)
    if record.cycle or record.state != "not_started":
        return
    if how == "started":
        lifecycle.start(cert, user)
        return
    months = 14 if how == "expired" else 4
    lifecycle.award_manually(
        record,
        by=None,
        note="Certified at the partner summit.",
        awarded_at=lifecycle.add_months(utcnow(), -months),
        how="import",
    )
    if how == "revoked":
        lifecycle.revoke(record, "Left the deal desk; the award was given back.", by=None)
    if how == "left":
        accounts.deactivate_user(user)


def _partner_manager(password: str, network: OrgUnit) -> None:
    email, name = PARTNER_MANAGER
    role = db.session.scalars(select(Role).where(Role.name == "Partner manager")).first()
    if role is None:
        role = accounts.create_role(
            "Partner manager", ["partners.view", "learning.take"], "Sees how partner companies stand"
        )
        db.session.flush()
    if accounts.user_by_email(email) is None:
        user = accounts.create_user(
            email, name, password=password, role_keys=(), job_title="Channel manager", org_unit_id=network.id
        )
        db.session.flush()
        accounts.set_user_roles(user, [role.id])


def partner_program(password: str) -> None:
    """Build the partners portal's program once its Certified Widget Seller exists (idempotent).

    *password*: the demo's, for the partner manager's account.
    """
    tenant = db.session.scalars(select(Tenant).where(Tenant.slug == "partners")).first()
    if tenant is None:
        return
    with as_tenant(tenant):
        cert = db.session.scalars(
            select(Certification).where(Certification.title == "Certified Widget Seller")
        ).first()
        if cert is None:
            return
        tiers = {"Gold": _tier("Gold", 1, cert, 3), "Silver": _tier("Silver", 2, cert, 1)}
        network = _unit(NETWORK, "region")
        for company, (tier_name, reps) in COMPANIES.items():
            unit = _unit(company, parent=network)
            if partners.company_of(unit.id) is None:
                partners.assign_tier(unit.id, tiers[tier_name].id)
            for name, how in reps:
                _record(cert, _rep(name, unit), how)
        # The demo's own gold and silver reps work at two of the companies.
        for email, company in (
            ("learner@partners.example", "Northwind Resellers"),
            ("rep@partners.example", "Contoso Distribution"),
        ):
            user = accounts.user_by_email(email)
            if user is not None and user.org_unit_id is None:
                accounts.update_user(user, org_unit_id=_unit(company, parent=network).id)
        _partner_manager(password, network)
        db.session.flush()
