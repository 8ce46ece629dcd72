"""Defining tiers and targets and putting companies in tiers: validation, audit, what the program shows."""

from __future__ import annotations

from sqlalchemy import select

from app.accounts.services import create_org_unit
from app.audit.models import AuditEvent
from app.certifications.services import definitions
from app.partners.models import PartnerCompany, PartnerTier, PartnerTierTarget
from app.tenancy import as_tenant
from tests.conftest import csrf_token


def _portal(db, tenant_factory, user_factory):
    tenant = tenant_factory()
    admin = user_factory(tenant, roles=("tenant_admin",), full_name="Alex Admin")
    with as_tenant(tenant):
        cert = definitions.create_certification({"title": "Certified Widget Seller", "validity_months": 12})
        unit = create_org_unit("Fabrikam Solutions", "company")
        db.session.commit()
    return tenant, admin, cert.id, unit.id


def test_an_admin_defines_a_tier_its_target_and_a_company(db, tenant_factory, user_factory, client_for):
    tenant, admin, cert_id, unit_id = _portal(db, tenant_factory, user_factory)
    client = client_for(tenant, admin)
    token = csrf_token(client, "/admin/partners/")
    created = client.post("/admin/partners/tiers", data={"csrf_token": token, "name": "Gold", "rank": "1"})
    assert created.status_code == 302
    with as_tenant(tenant):
        tier_id = db.session.scalars(select(PartnerTier.id)).one()
    tier_page = f"/admin/partners/tiers/{tier_id}"
    assert created.headers["Location"].endswith(tier_page)
    saved = client.post(
        tier_page, data={"csrf_token": token, "name": "Gold", "rank": "1", f"target-{cert_id}": "3"}
    )
    assert saved.status_code == 302
    assigned = client.post(
        "/admin/partners/companies", data={"csrf_token": token, "org_unit_id": unit_id, "tier_id": tier_id}
    )
    assert assigned.status_code == 302
    index = client.get("/admin/partners/").get_data(as_text=True)
    assert "Certified Widget Seller: 3" in index and "Fabrikam Solutions" in index
    program = client.get("/partners/program").get_data(as_text=True)
    assert "Fabrikam Solutions" in program and "3 missing" in program
    log = client.get("/admin/audit").get_data(as_text=True)
    assert 'added the partner tier <bdi dir="auto">Gold</bdi> (rank <bdi dir="auto">1</bdi>)' in log
    assert 'targets none → <bdi dir="auto">Certified Widget Seller: 3</bdi>.' in log
    assert 'made <bdi dir="auto">Fabrikam Solutions</bdi> a partner company of the tier' in log


def test_bad_targets_and_duplicate_names_are_refused_keeping_what_was_typed(
    db, tenant_factory, user_factory, client_for
):
    tenant, admin, cert_id, _unit_id = _portal(db, tenant_factory, user_factory)
    with as_tenant(tenant):
        from app.partners import services

        services.create_tier("Gold", 1)
        silver = services.create_tier("Silver", 2)
        db.session.commit()
    client = client_for(tenant, admin)
    token = csrf_token(client, "/admin/partners/")
    duplicate = client.post(
        "/admin/partners/tiers", data={"csrf_token": token, "name": " gold ", "rank": "3"}
    )
    page = duplicate.get_data(as_text=True)
    assert duplicate.status_code == 422
    assert "There is already a tier called “gold”." in page and 'value=" gold "' in page
    for typed in ("2.5", "-1", "10001", "three"):
        refused = client.post(
            f"/admin/partners/tiers/{silver.id}",
            data={"csrf_token": token, "name": "Gold", "rank": "0", f"target-{cert_id}": typed},
        )
        page = refused.get_data(as_text=True)
        assert refused.status_code == 422
        assert "enter a whole number of people from 0 to 10,000" in page
        assert f'value="{typed}"' in page and 'aria-invalid="true"' in page
        assert "There is already a tier called “Gold”." in page  # every problem at once
        assert "Enter a whole number from 1 (the top tier) to 100." in page
    with as_tenant(tenant):
        db.session.expire_all()
        assert db.session.get(PartnerTier, silver.id).name == "Silver"
        assert db.session.scalars(select(PartnerTierTarget)).all() == []
        assert not db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "partner_tier.updated")
        ).all()


def test_a_company_needs_a_unit_and_a_tier_and_a_tier_in_use_cannot_be_deleted(
    db, tenant_factory, user_factory, client_for
):
    tenant, admin, _cert_id, unit_id = _portal(db, tenant_factory, user_factory)
    with as_tenant(tenant):
        from app.partners import services

        gold = services.create_tier("Gold", 1)
        db.session.commit()
    client = client_for(tenant, admin)
    token = csrf_token(client, "/admin/partners/")
    missing = client.post(
        "/admin/partners/companies", data={"csrf_token": token, "org_unit_id": "", "tier_id": ""}
    )
    assert missing.status_code == 422
    assert "Choose the company&#39;s organisation unit from the list." in missing.get_data(as_text=True)
    client.post(
        "/admin/partners/companies", data={"csrf_token": token, "org_unit_id": unit_id, "tier_id": gold.id}
    )
    refused = client.post(f"/admin/partners/tiers/{gold.id}/delete", data={"csrf_token": token})
    assert refused.status_code == 302
    assert "move them to another tier first" in client.get(refused.headers["Location"]).get_data(as_text=True)
    removed = client.post(f"/admin/partners/companies/{unit_id}/remove", data={"csrf_token": token})
    assert removed.status_code == 302
    assert (
        client.post(f"/admin/partners/tiers/{gold.id}/delete", data={"csrf_token": token}).status_code == 302
    )
    with as_tenant(tenant):
        assert db.session.scalars(select(PartnerCompany)).all() == []
        assert db.session.scalars(select(PartnerTier)).all() == []
    log = client.get("/admin/audit").get_data(as_text=True)
    assert "out of the partner program (it was in the tier" in log
    assert 'deleted the partner tier <bdi dir="auto">Gold</bdi>' in log


def test_saving_a_tier_keeps_the_target_of_a_certification_archived_since(db, tenant_factory, user_factory):
    tenant, _admin, cert_id, _unit_id = _portal(db, tenant_factory, user_factory)
    with as_tenant(tenant):
        from app.certifications.models import Certification
        from app.partners import services

        other = definitions.create_certification({"title": "Widget Installer", "validity_months": 12})
        gold = services.create_tier("Gold", 1)
        db.session.flush()
        services.update_tier(gold, "Gold", 1, {cert_id: "3", other.id: "1"})
        definitions.archive(db.session.get(Certification, cert_id))
        # The form no longer offers the archived certification: only the other one is posted.
        services.update_tier(gold, "Gold", 1, {other.id: "2"})
        assert services.targets_of(gold) == {cert_id: 3, other.id: 2}
