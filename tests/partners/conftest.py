"""A partner program: Gold (3 Certified Widget Sellers) and Silver (1), three companies, reps in each."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from app.accounts.models import User
from app.accounts.services import create_org_unit, deactivate_user
from app.certifications.models import Certification, CertificationRecord
from app.certifications.services import definitions, lifecycle
from app.partners import services as partners
from app.tenancy import as_tenant
from app.tenancy.models import utcnow


def award(db: Any, cert_id: int, user: Any, *, months_ago: int = 1) -> CertificationRecord:
    """Award the certification by hand as if *months_ago* months ago (the clock then moves it on)."""
    cert = db.session.get(Certification, cert_id)
    person = db.session.get(User, user.id)
    record, _new = lifecycle.ensure_record(cert, person)
    awarded_at = lifecycle.add_months(utcnow(), -months_ago)
    lifecycle.award_manually(record, by=None, note="Partner summit", awarded_at=awarded_at)
    return record


@pytest.fixture
def program_factory(db: Any, tenant_factory: Callable[..., Any], user_factory: Callable[..., Any]) -> Any:
    """Make a tenant with the program; ``extra_gold`` more Gold companies with three holders each."""

    def make(*, extra_gold: int = 0) -> dict[str, Any]:
        tenant = tenant_factory(display_name="Widget Partner Network")
        with as_tenant(tenant):
            cert = definitions.create_certification(
                {"title": "Certified Widget Seller", "validity_months": 12, "grace_days": 14}
            )
            gold = partners.create_tier("Gold", 1)
            silver = partners.create_tier("Silver", 2)
            db.session.flush()
            partners.update_tier(gold, "Gold", 1, {cert.id: "3"})
            partners.update_tier(silver, "Silver", 2, {cert.id: "1"})
            northwind = create_org_unit("Northwind Resellers", "company")
            db.session.flush()
            east = create_org_unit("Northwind East", "location", northwind.id)
            contoso = create_org_unit("Contoso Distribution", "company")
            adatum = create_org_unit("Adatum Partners", "company")
            db.session.flush()
            for unit, tier in ((northwind, gold), (contoso, silver), (adatum, gold)):
                partners.assign_tier(unit.id, tier.id)
            extra = []
            for n in range(extra_gold):
                unit = create_org_unit(f"Zeta Partner {n:03d}", "company")
                db.session.flush()
                partners.assign_tier(unit.id, gold.id)
                extra.append(unit.id)
            ids = {
                "cert": cert.id,
                "gold": gold.id,
                "silver": silver.id,
                "northwind": northwind.id,
                "east": east.id,
                "contoso": contoso.id,
                "adatum": adatum.id,
            }
            db.session.commit()

        def rep(name: str, unit_id: int) -> Any:
            return user_factory(tenant, full_name=name, org_unit_id=unit_id, password=None)

        people = {
            "ann": rep("Ann Held", ids["northwind"]),
            "ben": rep("Ben East", ids["east"]),  # in a unit inside the company: counts
            "cat": rep("Cat Gone", ids["northwind"]),  # deactivated: does not count
            "dan": rep("Dan Expired", ids["northwind"]),  # expired: does not count
            "eve": rep("Eve Revoked", ids["northwind"]),  # revoked: does not count
            "fay": rep("Fay Lapsed", ids["northwind"]),  # lapsed, sweep not run yet: does not count
            "gus": rep("Gus Contoso", ids["contoso"]),
            "hal": rep("Hal Started", ids["contoso"]),  # only in progress
        }
        adatum_reps = [rep(f"Adatum Rep {n}", ids["adatum"]) for n in range(3)]
        extra_reps = [rep(f"Zeta Rep {n}", unit_id) for n, unit_id in enumerate(extra) for _ in range(3)]
        with as_tenant(tenant):
            for key in ("ann", "ben", "cat", "gus"):
                award(db, ids["cert"], people[key])
            for person in adatum_reps + extra_reps:
                award(db, ids["cert"], person)
            award(db, ids["cert"], people["dan"], months_ago=14)
            lifecycle.revoke(award(db, ids["cert"], people["eve"]), "Left the deal desk", by=None)
            lapsed = award(db, ids["cert"], people["fay"])
            lapsed.expires_at = lapsed.grace_until = utcnow() - timedelta(days=1)
            lifecycle.start(
                db.session.get(Certification, ids["cert"]), db.session.get(User, people["hal"].id)
            )
            deactivate_user(db.session.get(User, people["cat"].id))
            db.session.commit()
        admin = user_factory(tenant, roles=("tenant_admin",), full_name="Alex Admin")
        return {"tenant": tenant, "admin": admin, "people": people, **ids}

    return make
