"""Rolling back an HR sync run removes the locations and departments it created, unless they are in use."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from app.accounts import services as accounts
from app.accounts.models import OrgUnit, User
from app.audit.models import AuditEvent
from app.syncs.models import SyncRun
from app.syncs.services import runs
from app.tenancy import as_tenant
from tests.syncs.conftest import apply, csv_of, preview

ROWS = (
    "M1,mo@example.com,Mo,Mover,Clerk,,York,Bakery,,active",
    "N1,nia@example.com,Nia,New,Baker,,York,Bakery,,active",
)


def _units(db: Any, tenant: Any) -> dict[str, int]:
    with as_tenant(tenant):
        db.session.expire_all()
        return {unit.name: unit.id for unit in db.session.scalars(select(OrgUnit))}


def _roll_back(db: Any, tenant: Any, run: Any) -> dict[str, dict[str, Any]]:
    """Roll *run* back; return what it noted about each unit it had created, by name."""
    with as_tenant(tenant):
        rolled: SyncRun = runs.roll_back(db.session.merge(run))
        db.session.commit()
        return {unit["name"]: unit for unit in rolled.created_org_units or []}


def _applied_run(db: Any, tenant: Any, user_factory: Any, make_source: Any) -> tuple[Any, int]:
    mover = user_factory(tenant, "mo@example.com", full_name="Mo Mover", employee_id="M1", job_title="Clerk")
    run = apply(db, tenant, preview(db, tenant, make_source(tenant), csv_of(*ROWS)))
    assert run.rows_applied == 2
    return run, mover.id


def test_roll_back_removes_the_location_and_department_the_run_created(
    db, tenant_factory, user_factory, make_source
):
    tenant = tenant_factory()
    run, mover_id = _applied_run(db, tenant, user_factory, make_source)
    created = _units(db, tenant)
    assert {"York", "Bakery"} <= set(created)
    with as_tenant(tenant):
        assert db.session.get(User, mover_id).org_unit_id == created["Bakery"]

    noted = _roll_back(db, tenant, run)

    assert not {"York", "Bakery"} & set(_units(db, tenant))
    with as_tenant(tenant):
        assert db.session.get(User, mover_id).org_unit_id is None
        hire = db.session.scalars(select(User).where(User.email == "nia@example.com")).one()
        assert hire.status == "deactivated" and hire.org_unit_id is None
        assert noted.keys() == {"York", "York / Bakery"} and all(u.get("removed") for u in noted.values())
        removed = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "org_unit.deleted")).all()
        assert sorted(e.target_label for e in removed) == ["Bakery", "York"]


def test_a_unit_someone_else_uses_meanwhile_stays_and_the_run_says_why(
    db, tenant_factory, user_factory, make_source, client_for
):
    tenant = tenant_factory()
    run, _mover_id = _applied_run(db, tenant, user_factory, make_source)
    run_id = run.id
    created = _units(db, tenant)
    # Since the run, an admin put someone else in the new department.
    user_factory(tenant, "ola@example.com", full_name="Ola Other", org_unit_id=created["Bakery"])

    noted = _roll_back(db, tenant, run)

    assert {"York", "Bakery"} <= set(_units(db, tenant))
    assert noted["York / Bakery"]["kept"] == ["people"]
    assert noted["York"]["kept"] == ["the units inside it"]
    with as_tenant(tenant):
        event = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "sync.run_rolled_back")
        ).one()
        assert event.after["org_units_kept"]["York / Bakery"] == ["people"]
    admin = user_factory(tenant, "admin@example.com", roles=("learner", "tenant_admin"))
    page = client_for(tenant, admin).get(f"/admin/integrations/syncs/runs/{run_id}")
    assert "because these still refer to it: people" in page.get_data(as_text=True)


def test_a_unit_a_course_is_addressed_to_stays(db, tenant_factory, user_factory, make_source):
    from app.learning.services.courses import create_course

    tenant = tenant_factory()
    run, _mover_id = _applied_run(db, tenant, user_factory, make_source)
    created = _units(db, tenant)
    with as_tenant(tenant):
        create_course(
            {"title": "York induction"},
            visibility="restricted",
            audiences={"org_unit": [str(created["York"])]},
        )
        db.session.commit()

    noted = _roll_back(db, tenant, run)

    units = _units(db, tenant)
    assert "York" in units and "Bakery" not in units
    assert noted["York"]["kept"] == ["course or path audiences"] and noted["York / Bakery"]["removed"]
    with as_tenant(tenant):
        assert accounts.org_unit_uses([units["York"]])[units["York"]] == ["course or path audiences"]
