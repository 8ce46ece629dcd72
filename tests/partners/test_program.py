"""The partner program page: who holds enough certified people, below target first, and a company's people."""

from __future__ import annotations

import csv
import io
import re
from typing import Any

from sqlalchemy import select

from app.accounts.models import Role
from app.accounts.services import create_role, set_user_roles
from app.audit.models import AuditEvent
from app.tenancy import as_tenant
from tests.conftest import csrf_token


def _rows(page: str) -> list[tuple[str, str, str, str]]:
    """(company, holding, target, shortfall text) of each row of the program table."""
    table = page.split('class="program-table"', 1)[1].split("</table>", 1)[0]
    found = []
    for row in re.findall(r"<tr.*?</tr>", table, re.S)[1:]:
        company = re.search(r"<bdi>([^<]+)</bdi></a>", row).group(1)
        cells = re.findall(r'<td data-label="[^"]*">(.*?)</td>', row, re.S)
        found.append((company, cells[2].strip(), cells[3].strip(), re.sub(r"<[^>]+>", "", cells[4]).strip()))
    return found


def test_counts_only_active_people_holding_it_today_below_target_first(program_factory, client_for):
    data = program_factory()
    page = client_for(data["tenant"], data["admin"]).get("/partners/program").get_data(as_text=True)
    # Northwind: Ann, and Ben in a unit inside the company; not Cat (deactivated), Dan (expired),
    # Eve (revoked) or Fay (lapsed yesterday, the nightly sweep not run yet).
    assert _rows(page) == [
        ("Northwind Resellers", "2", "3", "⚠ 1 missing"),
        ("Adatum Partners", "3", "3", "✓ On target"),
        ("Contoso Distribution", "1", "1", "✓ On target"),
    ]
    assert "1 company is below target" in page
    assert "<title" in page and "2 of 3 people hold it." in page  # the meter says it in words too


def test_filters_by_tier_and_by_certification(program_factory, client_for):
    data = program_factory()
    client = client_for(data["tenant"], data["admin"])
    silver = client.get(f"/partners/program?tier={data['silver']}").get_data(as_text=True)
    assert [r[0] for r in _rows(silver)] == ["Contoso Distribution"]
    by_cert = client.get(f"/partners/program?certification={data['cert']}").get_data(as_text=True)
    assert len(_rows(by_cert)) == 3
    # A value that is not a choice shows everything rather than failing.
    assert (
        len(_rows(client.get("/partners/program?tier=99999999&certification=x").get_data(as_text=True))) == 3
    )
    partial = client.get(
        f"/partners/program?tier={data['gold']}", headers={"HX-Request": "true", "HX-Target": "program"}
    )
    assert "<h1>" not in partial.get_data(as_text=True) and "HX-Request" in partial.headers["Vary"]


def test_drill_down_lists_the_companys_people_and_their_state(program_factory, client_for):
    data = program_factory()
    client = client_for(data["tenant"], data["admin"])
    page = client.get(f"/partners/program/companies/{data['northwind']}").get_data(as_text=True)
    assert "Ann Held" in page and "Ben East" in page and "Northwind East" in page
    assert "Cat Gone" not in page  # deactivated: neither listed nor counted
    fay = page.split("Fay Lapsed", 1)[1].split("</tr>", 1)[0]
    assert "Expired" in fay
    eve = page.split("Eve Revoked", 1)[1].split("</tr>", 1)[0]
    assert "Revoked" in eve
    assert "1 missing" in page
    # A unit that is not a partner company has no page.
    assert client.get(f"/partners/program/companies/{data['east']}").status_code == 404


def test_csv_export_is_streamed_formula_safe_and_audited(program_factory, client_for, db):
    data = program_factory()
    client = client_for(data["tenant"], data["admin"])
    with as_tenant(data["tenant"]):
        from app.accounts.models import OrgUnit

        db.session.get(OrgUnit, data["contoso"]).name = "=HYPERLINK(1)"
        db.session.commit()
    token = csrf_token(client, "/partners/program")
    response = client.post("/partners/program/export.csv", data={"csrf_token": token, "tier": data["silver"]})
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert rows[0][:3] == ["Company", "Tier", "People"]
    assert rows[1] == ["'=HYPERLINK(1)", "Silver", "2", "Certified Widget Seller", "1", "1", "0", "no"]
    with as_tenant(data["tenant"]):
        event = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "partner_program.exported")
        ).one()
        assert event.after == {"tier": "Silver", "certification": None, "rows": 1}
    log = client.get("/admin/audit").get_data(as_text=True)
    assert "exported the partner program as CSV" in log


def test_a_manager_without_the_permission_is_refused(program_factory, user_factory, client_for, db):
    data = program_factory()
    manager = user_factory(data["tenant"], roles=("manager",))
    client = client_for(data["tenant"], manager)
    assert client.get("/partners/program").status_code == 403
    assert client.get(f"/partners/program/companies/{data['northwind']}").status_code == 403
    assert client.get("/admin/partners/").status_code == 403
    # A partner manager (a custom role with partners.view) sees the program but not its administration.
    with as_tenant(data["tenant"]):
        role = create_role("Partner manager", ["partners.view"])
        db.session.flush()
        channel = user_factory(data["tenant"], roles=("learner",))
        from app.accounts.models import User

        set_user_roles(db.session.get(User, channel.id), [role.id])
        db.session.commit()
    partner_manager = client_for(data["tenant"], channel)
    page = partner_manager.get("/partners/program")
    # Placed in no unit, they reach no company: the page says why rather than showing everyone's.
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "Northwind Resellers" not in text
    assert "No partner company inside your organisation unit" in text
    assert partner_manager.get("/admin/partners/").status_code == 403
    with as_tenant(data["tenant"]):
        assert db.session.scalars(select(Role).where(Role.name == "Partner manager")).one()


def _partner_manager(db: Any, data: dict[str, Any], user_factory: Any, org_unit_id: int) -> Any:
    """A partner manager (a custom role with partners.view, no tenant admin) placed in *org_unit_id*."""
    from app.accounts.models import User

    with as_tenant(data["tenant"]):
        role = create_role("Partner manager", ["partners.view"])
        db.session.flush()
        channel = user_factory(data["tenant"], roles=("learner",), full_name="Chris Channel")
        person = db.session.get(User, channel.id)
        set_user_roles(person, [role.id])
        person.org_unit_id = org_unit_id
        db.session.commit()
    return channel


def test_a_partner_manager_sees_only_the_companies_inside_their_reach(
    program_factory, user_factory, client_for, db
):
    data = program_factory()
    # The manager of Northwind (two companies besides it, Contoso and Adatum).
    client = client_for(data["tenant"], _partner_manager(db, data, user_factory, data["northwind"]))
    page = client.get("/partners/program").get_data(as_text=True)
    assert _rows(page) == [("Northwind Resellers", "2", "3", "⚠ 1 missing")]
    assert "Contoso" not in page and "Adatum" not in page and "of 1 partner company shown" in page
    # The filters narrow within the reach, never widen it.
    silver = client.get(f"/partners/program?tier={data['silver']}").get_data(as_text=True)
    assert "Contoso" not in silver and not re.findall(r'class="program-table"', silver)
    assert client.get(f"/partners/program/companies/{data['northwind']}").status_code == 200
    assert client.get(f"/partners/program/companies/{data['contoso']}").status_code == 404
    assert client.get(f"/partners/program/companies/{data['adatum']}").status_code == 404
    token = csrf_token(client, "/partners/program")
    exported = client.post("/partners/program/export.csv", data={"csrf_token": token})
    rows = list(csv.reader(io.StringIO(exported.get_data(as_text=True))))
    assert [row[0] for row in rows[1:]] == ["Northwind Resellers"]
    # The tenant admin still sees all three.
    admin_page = client_for(data["tenant"], data["admin"]).get("/partners/program").get_data(as_text=True)
    assert len(_rows(admin_page)) == 3


def test_a_manager_placed_below_a_company_does_not_see_the_whole_company(
    program_factory, user_factory, client_for, db
):
    data = program_factory()
    client = client_for(data["tenant"], _partner_manager(db, data, user_factory, data["east"]))
    page = client.get("/partners/program").get_data(as_text=True)
    assert "Northwind Resellers" not in page  # its counts would tell of people beyond Northwind East
    assert client.get(f"/partners/program/companies/{data['northwind']}").status_code == 404


def test_another_tenants_program_never_shows(program_factory, tenant_factory, user_factory, client_for):
    data = program_factory()
    other = tenant_factory()
    admin = user_factory(other, roles=("tenant_admin",))
    client = client_for(other, admin)
    page = client.get("/partners/program").get_data(as_text=True)
    assert "Northwind" not in page and "No partner company matches" in page
    assert client.get(f"/partners/program/companies/{data['northwind']}").status_code == 404
    admin_page = client.get("/admin/partners/").get_data(as_text=True)
    assert "No tiers yet" in admin_page and "Northwind" not in admin_page


def test_the_program_takes_the_same_number_of_queries_for_3_or_13_companies(
    program_factory, client_for, count_queries
):
    counts = []
    for extra in (0, 10):
        data = program_factory(extra_gold=extra)
        client = client_for(data["tenant"], data["admin"])
        with count_queries() as counter:
            page = client.get("/partners/program").get_data(as_text=True)
        assert len(_rows(page)) == 3 + extra
        counts.append(counter.count)
    assert counts[0] == counts[1], counts


def test_a_company_page_takes_the_same_number_of_queries_for_few_or_many_people(
    program_factory, user_factory, client_for, count_queries
):
    counts = []
    for more in (0, 8):
        data = program_factory()
        for n in range(more):
            user_factory(data["tenant"], full_name=f"New Rep {n}", org_unit_id=data["adatum"], password=None)
        client = client_for(data["tenant"], data["admin"])
        with count_queries() as counter:
            page = client.get(f"/partners/program/companies/{data['adatum']}").get_data(as_text=True)
        assert page.count("Adatum Rep") == 3 and page.count("New Rep") == more
        counts.append(counter.count)
    assert counts[0] == counts[1], counts
