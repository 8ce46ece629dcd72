"""BambooHR and Workday end to end: a real local HTTP server answers the recorded vendor responses,
and a source of each kind is previewed, applied and rolled back through the sync services."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select

from app.accounts import services as accounts
from app.accounts.models import OrgUnit, User
from app.syncs import demo
from app.syncs.models import SyncChange, SyncRun, SyncSource
from app.syncs.services import runs, sources
from app.tenancy import as_tenant
from tests.conftest import csrf_token
from tests.syncs.conftest import Recorded, apply, preview
from tests.syncs.test_readers import basic

BAMBOO_API = "/api/gateway.php/acme/v1"
WORKDAY_REPORT = "/ccx/service/customreport2/acme/ISU_Atrium/People"
WORKDAY_MAPPING = {
    "source_id": "",
    "employee_id": "Employee_ID",
    "email": "Email_-_Primary_Work",
    "first_name": "Legal_Name_-_First_Name",
    "last_name": "Legal_Name_-_Last_Name",
    "full_name": "",
    "job_title": "businessTitle",
    "hire_date": "Hire_Date",
    "location": "Location",
    "department": "",
    "manager_employee_id": "Manager_Employee_ID",
    "status": "Active_Status",
    "attributes": {"worker_type": "Worker_Type"},
}


def _source(db: Any, tenant: Any, values: dict[str, Any], secret: str) -> Any:
    with as_tenant(tenant):
        source = sources.create_source(
            {
                "schedule": "off",
                "schedule_hour": "2",
                "max_deactivate_percent": "5",
                "max_change_percent": "20",
            }
            | values,
            secret=secret,
        )
        db.session.commit()
        return source


def _changes(db: Any, tenant: Any, run: Any) -> dict[str, dict[str, SyncChange]]:
    with as_tenant(tenant):
        grouped: dict[str, dict[str, SyncChange]] = {}
        for change in db.session.scalars(
            select(SyncChange).where(SyncChange.run_id == run.id).order_by(SyncChange.seq)
        ):
            grouped.setdefault(change.action, {})[change.label] = change
        return grouped


def _person(db: Any, tenant: Any, email: str) -> User:
    with as_tenant(tenant):
        db.session.expire_all()
        person = db.session.scalars(select(User).where(User.email == email)).one()
        db.session.expunge(person)
        return person


def _unit_path(db: Any, tenant: Any, unit_id: int | None) -> str:
    with as_tenant(tenant):
        names = []
        while unit_id is not None:
            unit = db.session.get(OrgUnit, unit_id)
            names.append(unit.name)
            unit_id = unit.parent_id
        return " / ".join(reversed(names))


def test_bamboohr_custom_report_previewed_applied_and_rolled_back(db, tenant_factory, hr_api: Recorded):
    hr_api.answer_file(f"{BAMBOO_API}/reports/custom", "bamboohr_custom_report.json")
    tenant = tenant_factory()
    with as_tenant(tenant):
        new_york = accounts.create_org_unit("New York", "location")
        db.session.flush()
        sales = accounts.create_org_unit("Sales", "department", new_york.id)
        db.session.flush()
        alex = accounts.create_user(
            "admin@acme.example",
            "Alex Admin",
            employee_id="E1001",
            job_title="IT administrator",
            org_unit_id=sales.id,
        )
        db.session.flush()
        accounts.create_user(
            "manager@acme.example",
            "Morgan Manager",
            job_title="Sales lead",
            org_unit_id=sales.id,
            manager_id=alex.id,
        )
        accounts.create_user("ari.auditor@acme.example", "Ari Auditor", employee_id="E1006")
        db.session.commit()
        alex_id = alex.id
    source = _source(
        db,
        tenant,
        {
            "name": "BambooHR",
            "kind": "bamboohr",
            "config": {"company_domain": "acme", "base_url": hr_api.url()},
            "mapping": demo.BAMBOOHR_MAPPING,
            "terminated_values": "Inactive",
        },
        "the-api-key",
    )
    with as_tenant(tenant):
        sealed = db.session.merge(source).secret_sealed
        assert sealed is not None and b"the-api-key" not in bytes(sealed)

    run = preview(db, tenant, source, None)
    assert run.status == "preview_ready", run.error
    assert run.rows_read == 9
    [asked] = hr_api.requests
    assert asked["method"] == "POST" and asked["path"].startswith(f"{BAMBOO_API}/reports/custom")
    assert asked["headers"]["Authorization"] == basic("the-api-key", "x")
    grouped = _changes(db, tenant, run)
    assert sorted(grouped["create"]) == [
        "Avery Author",
        "Indra Instructor",
        "Jo Doe",
        "Lee Learner",
        "Riley Chen",
        "Sam Lee",
    ]
    riley = grouped["create"]["Riley Chen"].after
    assert riley["employee_id"] == "E1009" and riley["job_title"] == "Warehouse associate"
    assert riley["org_unit"] == "Newark / Operations" and riley["hire_date"] == "2026-11-28"
    assert riley["_manager_employee_id"] == "E1002" and riley["attributes"] == {"division": "North America"}
    # Updated, field by field: Morgan is matched by email and gets the employee number BambooHR knows.
    morgan = grouped["update"]["Morgan Manager"]
    assert morgan.before == {
        "employee_id": None,
        "job_title": "Sales lead",
        "hire_date": None,
        "attributes": {"division": None},
    }
    assert morgan.after == {
        "employee_id": "E1002",
        "job_title": "Team manager",
        "hire_date": "2018-05-14",
        "attributes": {"division": "North America"},
    }
    assert grouped["update"]["Alex Admin"].after == {
        "hire_date": "2016-02-01",
        "attributes": {"division": "North America"},
    }
    [leaver] = grouped["deactivate"].values()
    assert leaver.label == "Ari Auditor" and "“Inactive”" in leaver.reason
    assert set(grouped) == {"create", "update", "deactivate"}
    assert _person(db, tenant, "ari.auditor@acme.example").status == "active"  # a preview changes nobody

    run = apply(db, tenant, run)
    assert run.status == "applied" and run.rows_applied == 9 and run.rows_errors == 0
    morgan_now = _person(db, tenant, "manager@acme.example")
    assert morgan_now.employee_id == "E1002" and morgan_now.job_title == "Team manager"
    riley_now = _person(db, tenant, "riley.chen@acme.example")
    # The manager is resolved by employee number, Morgan's only since this very run.
    assert riley_now.manager_id == morgan_now.id
    assert _unit_path(db, tenant, riley_now.org_unit_id) == "Newark / Operations"
    assert riley_now.attributes["division"] == "North America"
    assert _person(db, tenant, "instructor@acme.example").manager_id == alex_id
    assert _person(db, tenant, "ari.auditor@acme.example").status == "deactivated"

    with as_tenant(tenant):
        runs.roll_back(db.session.merge(run))
        db.session.commit()
    morgan_back = _person(db, tenant, "manager@acme.example")
    assert morgan_back.job_title == "Sales lead" and morgan_back.employee_id is None
    assert _person(db, tenant, "ari.auditor@acme.example").status == "active"
    assert _person(db, tenant, "riley.chen@acme.example").status == "deactivated"


def test_workday_report_previewed_applied_and_rolled_back(db, tenant_factory, hr_api: Recorded):
    hr_api.answer_file(WORKDAY_REPORT, "workday_people.json")
    tenant = tenant_factory()
    with as_tenant(tenant):
        ashton = accounts.create_user("ashton.burns@workday.example", "Ashton Burns", employee_id="21000")
        db.session.flush()
        accounts.create_user(
            "logan.mcneil@workday.example",
            "Logan McNeil",
            employee_id="21001",
            job_title="Head of HR",
            hire_date=date(2000, 1, 1),
            manager_id=ashton.id,
        )
        accounts.create_user("oliver.reynolds@workday.example", "Oliver Reynolds", employee_id="21145")
        db.session.commit()
    source = _source(
        db,
        tenant,
        {
            "name": "Workday",
            "kind": "workday",
            "config": {"report_url": hr_api.url(WORKDAY_REPORT), "username": "ISU_Atrium"},
            "mapping": WORKDAY_MAPPING,
            "terminated_values": "0",
        },
        "s3cret",
    )
    run = preview(db, tenant, source, None)
    assert run.status == "preview_ready", run.error
    assert run.rows_read == 3
    [asked] = hr_api.requests
    assert asked["path"] == f"{WORKDAY_REPORT}?format=json"
    assert asked["headers"]["Authorization"] == basic("ISU_Atrium", "s3cret")
    grouped = _changes(db, tenant, run)
    assert set(grouped) == {"create", "move", "deactivate"}
    teresa = grouped["create"]["Teresa Serrano"].after
    assert teresa["employee_id"] == "21082" and teresa["email"] == "teresa.serrano@workday.example"
    assert teresa["org_unit"] == "Chicago" and teresa["_manager_employee_id"] == "21001"
    assert teresa["attributes"] == {"worker_type": "Regular"}
    # Logan moves (a new location), and his title changes: each field before and after.
    logan = grouped["move"]["Logan McNeil"]
    assert (
        logan.before["job_title"] == "Head of HR"
        and logan.after["job_title"] == "Chief Human Resources Officer"
    )
    assert logan.before["org_unit"] is None and logan.after["org_unit"] == "San Francisco"
    assert "hire_date" not in logan.after  # unchanged fields are not listed
    # Workday's Active_Status 0 is a leaver (the row's two managers do not matter then).
    oliver = grouped["deactivate"]["Oliver Reynolds"]
    assert "“0”" in oliver.reason

    run = apply(db, tenant, run)
    assert run.status == "applied" and run.rows_applied == 3 and run.rows_errors == 0
    logan_now = _person(db, tenant, "logan.mcneil@workday.example")
    assert logan_now.job_title == "Chief Human Resources Officer"
    assert _unit_path(db, tenant, logan_now.org_unit_id) == "San Francisco"
    teresa_now = _person(db, tenant, "teresa.serrano@workday.example")
    assert teresa_now.manager_id == logan_now.id and teresa_now.attributes["worker_type"] == "Regular"
    assert _person(db, tenant, "oliver.reynolds@workday.example").status == "deactivated"

    with as_tenant(tenant):
        runs.roll_back(db.session.merge(run))
        db.session.commit()
    logan_back = _person(db, tenant, "logan.mcneil@workday.example")
    assert logan_back.job_title == "Head of HR" and logan_back.org_unit_id is None
    assert _person(db, tenant, "oliver.reynolds@workday.example").status == "active"
    assert _person(db, tenant, "teresa.serrano@workday.example").status == "deactivated"


def test_an_admin_adds_a_bamboohr_source_reads_its_fields_and_previews_it_on_the_pages(
    db, tenant_factory, user_factory, client_for, hr_api: Recorded
):
    hr_api.answer_file(f"{BAMBOO_API}/reports/custom", "bamboohr_custom_report.json")
    tenant = tenant_factory()
    admin = user_factory(tenant, "ada@example.com", roles=("tenant_admin",), full_name="Ada Admin")
    client = client_for(tenant, admin)
    page = client.get("/admin/integrations/syncs/new").get_data(as_text=True)
    assert "Company domain" in page and "Report address" in page and "BambooHR: API key" in page
    data = {
        "name": "BambooHR",
        "kind": "bamboohr",
        "config_company_domain": "acme",
        "config_base_url": hr_api.url(),
        "config_report_url": "",
        "schedule": "off",
        "schedule_hour": "2",
        "max_deactivate_percent": "5",
        "max_change_percent": "20",
        "terminated_values": "Inactive",
        "enabled": "y",
    } | {f"map_{name}": column for name, column in demo.BAMBOOHR_MAPPING.items() if name != "attributes"}
    # The API key is required for BambooHR; what was typed is kept.
    missing = client.post(
        "/admin/integrations/syncs/new",
        data=data | {"csrf_token": csrf_token(client, "/admin/integrations/syncs/new")},
    )
    assert missing.status_code == 422
    page = missing.get_data(as_text=True)
    assert "Fill in API key." in page and 'value="employeeNumber"' in page
    response = client.post(
        "/admin/integrations/syncs/new",
        data=data
        | {"secret": "the-api-key", "csrf_token": csrf_token(client, "/admin/integrations/syncs/new")},
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    source_path = response.headers["Location"]
    with as_tenant(tenant):
        source = db.session.scalars(select(SyncSource)).one()
        assert source.config == {"company_domain": "acme", "base_url": hr_api.url()}

    fields = client.post(f"{source_path}/fields", data={"csrf_token": csrf_token(client, source_path)})
    assert fields.status_code == 200
    page = fields.get_data(as_text=True)
    assert '<datalist id="source-fields">' in page and '<option value="supervisorId">' in page
    assert 'list="source-fields"' in page

    response = client.post(f"{source_path}/preview", data={"csrf_token": csrf_token(client, source_path)})
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    # Ari, Inactive and never in this portal, is not brought in only to be deactivated.
    assert "Preview ready" in page and "New people (8)" in page and "Riley Chen" in page
    assert "Ari Auditor" not in page

    # A wrong key is named on the run's page.
    hr_api.answer(f"{BAMBOO_API}/reports/custom", "", status=401)
    with as_tenant(tenant):
        db.session.scalars(select(SyncRun)).one().status = "cancelled"
        db.session.commit()
    response = client.post(f"{source_path}/preview", data={"csrf_token": csrf_token(client, source_path)})
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "BambooHR refused the credentials (HTTP 401)" in page
