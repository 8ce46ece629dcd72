"""Tenant admins manage people: create, edit, deactivate, roles, org units and groups."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from app.accounts.models import Group, OrgUnit, User
from app.audit.models import AuditEvent
from app.tenancy import as_tenant
from tests.conftest import csrf_token


def _new_user_form(client, **overrides):
    data = {
        "csrf_token": csrf_token(client, "/admin/users/new"),
        "full_name": "Rosa Diaz",
        "email": "rosa@example.com",
        "employee_id": "",
        "job_title": "Line cook",
        "org_unit_id": "",
        "manager_id": "",
        "hire_date": "",
        "locale": "",
        "time_zone": "",
    }
    data.update(overrides)
    return data


def _count_users(db, tenant) -> int:
    with as_tenant(tenant):
        return db.session.scalar(select(func.count()).select_from(User))


def test_admin_creates_a_user_and_sees_the_audit_entry(db, tenant_factory, user_factory, client_for):
    tenant = tenant_factory()
    admin = user_factory(tenant, "boss@example.com", roles=("tenant_admin",))
    client = client_for(tenant, admin)
    response = client.post("/admin/users/new", data=_new_user_form(client, email="Rosa@Example.com"))
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Rosa Diaz was added." in page
    assert '<dd dir="auto">rosa@example.com</dd>' in page  # their page; stored lower-case
    audit_page = client.get("/admin/audit").get_data(as_text=True)
    assert (
        'added <bdi dir="auto">Rosa Diaz</bdi>.' in audit_page and "<code>user.created</code>" in audit_page
    )
    assert "rosa@example.com" in audit_page
    with as_tenant(tenant):
        event = db.session.scalars(
            select(AuditEvent).where(AuditEvent.target_label == "rosa@example.com")
        ).one()
    assert event.actor_type == "user" and event.actor_label == "boss@example.com"
    assert event.request_id


def test_duplicate_email_in_the_same_tenant_is_a_form_error_and_nothing_is_written(
    db, tenant_factory, user_factory, client_for
):
    tenant = tenant_factory()
    admin = user_factory(tenant, roles=("tenant_admin",))
    user_factory(tenant, "rosa@example.com")
    client = client_for(tenant, admin)
    before = _count_users(db, tenant)
    response = client.post(
        "/admin/users/new", data=_new_user_form(client, email="ROSA@example.com", full_name="Rosa Two")
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Someone in this portal already uses rosa@example.com." in page
    assert 'value="Rosa Two"' in page  # what was typed is kept
    assert 'aria-invalid="true"' in page
    assert _count_users(db, tenant) == before
    with as_tenant(tenant):
        assert not db.session.scalars(select(AuditEvent).where(AuditEvent.target_label == "Rosa Two")).all()


def test_same_email_in_another_tenant_is_allowed(db, tenant_factory, user_factory, client_for):
    acme, bistro = tenant_factory(), tenant_factory()
    user_factory(acme, "rosa@example.com")
    admin = user_factory(bistro, roles=("tenant_admin",))
    client = client_for(bistro, admin)
    response = client.post("/admin/users/new", data=_new_user_form(client))
    assert response.status_code == 302
    assert _count_users(db, bistro) == 2


def test_invalid_email_is_explained(tenant_factory, user_factory, client_for):
    tenant = tenant_factory()
    client = client_for(tenant, user_factory(tenant, roles=("tenant_admin",)))
    response = client.post("/admin/users/new", data=_new_user_form(client, email="rosa-at-example"))
    assert response.status_code == 422
    assert "Enter a valid email address" in response.get_data(as_text=True)


def test_user_list_searches_and_never_shows_other_tenants(tenant_factory, user_factory, client_for):
    acme, bistro = tenant_factory(), tenant_factory()
    admin = user_factory(acme, roles=("tenant_admin",), full_name="Acme Admin")
    user_factory(acme, "jo@acme.example", full_name="Jo Fryer")
    user_factory(bistro, "jo@bistro.example", full_name="Jo Grill")
    client = client_for(acme, admin)
    page = client.get("/admin/users?q=jo").get_data(as_text=True)
    assert "Jo Fryer" in page
    assert "Jo Grill" not in page and "bistro" not in page
    partial = client.get("/admin/users?q=fryer", headers={"HX-Request": "true", "HX-Target": "user-results"})
    body = partial.get_data(as_text=True)
    assert "<html" not in body and "Jo Fryer" in body
    assert "HX-Request" in partial.headers.get("Vary", "")


def test_edit_user_changes_fields_roles_and_records_before_after(
    db, tenant_factory, user_factory, client_for
):
    tenant = tenant_factory()
    admin = user_factory(tenant, roles=("tenant_admin",))
    person = user_factory(tenant, "sam@example.com", full_name="Sam Smith", job_title="Server")
    client = client_for(tenant, admin)
    form_page = client.get(f"/admin/users/{person.id}").get_data(as_text=True)
    manager_role = re.search(r'value="(\d+)"[^>]*> (?:<bdi>)?Manager', form_page) or re.search(
        r'<input[^>]*value="(\d+)"[^>]*>\s*(?:<bdi>)?Manager', form_page
    )
    assert manager_role, "the Manager role is offered"
    data = _new_user_form(client, email="sam@example.com", full_name="Sam Smith", job_title="Shift lead")
    data["csrf_token"] = csrf_token(client, f"/admin/users/{person.id}")
    data["roles"] = [manager_role.group(1)]
    response = client.post(f"/admin/users/{person.id}", data=data)
    assert response.status_code == 302
    with as_tenant(tenant):
        db.session.expire_all()
        saved = db.session.get(User, person.id)
        assert saved.job_title == "Shift lead"
        assert [r.key for r in saved.roles] == ["manager"]
        change = db.session.scalars(
            select(AuditEvent).where(
                AuditEvent.action == "user.updated", AuditEvent.target_id == str(person.id)
            )
        ).one()
        assert change.before == {"job_title": "Server"} and change.after == {"job_title": "Shift lead"}


def test_deactivating_keeps_the_person_and_their_records(db, tenant_factory, user_factory, client_for):
    tenant = tenant_factory()
    admin = user_factory(tenant, roles=("tenant_admin",))
    person = user_factory(tenant, "leaver@example.com")
    client = client_for(tenant, admin)
    token = csrf_token(client, f"/admin/users/{person.id}")
    response = client.post(f"/admin/users/{person.id}/deactivate", data={"csrf_token": token})
    assert response.status_code == 302
    with as_tenant(tenant):
        db.session.expire_all()
        kept = db.session.scalars(select(User).where(User.email == "leaver@example.com")).one()
        assert kept.status == "deactivated" and kept.deactivated_at is not None
        history = db.session.scalars(
            select(AuditEvent.action).where(AuditEvent.target_id == str(person.id))
        ).all()
    assert "user.created" in history and "user.deactivated" in history
    # The deactivated person can no longer sign in.
    from tests.conftest import sign_in

    refused = sign_in(client_for(tenant), "leaver@example.com")
    assert refused.status_code == 401
    # And they can be reactivated.
    token = csrf_token(client, f"/admin/users/{person.id}")
    client.post(f"/admin/users/{person.id}/reactivate", data={"csrf_token": token})
    assert sign_in(client_for(tenant), "leaver@example.com").status_code == 302


def test_admin_cannot_deactivate_themselves(tenant_factory, user_factory, client_for):
    tenant = tenant_factory()
    admin = user_factory(tenant, roles=("tenant_admin",))
    client = client_for(tenant, admin)
    token = csrf_token(client, f"/admin/users/{admin.id}")
    page = client.post(
        f"/admin/users/{admin.id}/deactivate", data={"csrf_token": token}, follow_redirects=True
    )
    assert "You cannot deactivate your own account." in page.get_data(as_text=True)


def test_forms_without_csrf_token_are_refused(db, tenant_factory, user_factory, client_for):
    tenant = tenant_factory()
    client = client_for(tenant, user_factory(tenant, roles=("tenant_admin",)))
    data = _new_user_form(client)
    del data["csrf_token"]
    response = client.post("/admin/users/new", data=data)
    assert response.status_code == 400
    assert "This page was out of date" in response.get_data(as_text=True)
    assert _count_users(db, tenant) == 1


def test_learner_cannot_open_admin_pages(tenant_factory, user_factory, client_for):
    tenant = tenant_factory()
    client = client_for(tenant, user_factory(tenant))
    for path in ("/admin/users", "/admin/org-units", "/admin/groups", "/admin/roles", "/admin/audit"):
        assert client.get(path).status_code == 403, path


def test_org_units_form_a_tree_and_refuse_a_cycle(db, tenant_factory, user_factory, client_for):
    tenant = tenant_factory()
    client = client_for(tenant, user_factory(tenant, roles=("tenant_admin",)))

    def add(name, kind, parent=""):
        token = csrf_token(client, "/admin/org-units")
        return client.post(
            "/admin/org-units",
            data={"csrf_token": token, "name": name, "kind": kind, "parent_id": parent, "code": ""},
        )

    assert add("Midwest", "region").status_code == 302
    with as_tenant(tenant):
        region = db.session.scalars(select(OrgUnit).where(OrgUnit.name == "Midwest")).one()
    assert add("Downtown", "location", str(region.id)).status_code == 302
    duplicate = add("downtown", "location", str(region.id))
    assert duplicate.status_code == 422
    assert "already a unit called" in duplicate.get_data(as_text=True)
    with as_tenant(tenant):
        downtown = db.session.scalars(select(OrgUnit).where(OrgUnit.name == "Downtown")).one()
    token = csrf_token(client, f"/admin/org-units/{region.id}")
    cycle = client.post(
        f"/admin/org-units/{region.id}",
        data={"csrf_token": token, "name": "Midwest", "kind": "region", "parent_id": str(downtown.id)},
    )
    assert cycle.status_code == 422
    page = client.get("/admin/org-units").get_data(as_text=True)
    assert page.index("Midwest") < page.index("Downtown")


def test_groups_add_and_remove_members(db, tenant_factory, user_factory, client_for):
    tenant = tenant_factory()
    client = client_for(tenant, user_factory(tenant, roles=("tenant_admin",)))
    member = user_factory(tenant, "crew@example.com", full_name="Casey Crew")
    token = csrf_token(client, "/admin/groups")
    created = client.post(
        "/admin/groups", data={"csrf_token": token, "name": "Night shift", "description": ""}
    )
    assert created.status_code == 302
    group_path = created.headers["Location"]
    token = csrf_token(client, group_path)
    client.post(f"{group_path}/members", data={"csrf_token": token, "user_ids": [str(member.id)]})
    with as_tenant(tenant):
        group = db.session.scalars(select(Group).where(Group.name == "Night shift")).one()
        assert [m.user_id for m in group.memberships] == [member.id]
    token = csrf_token(client, group_path)
    client.post(f"{group_path}/members/{member.id}/remove", data={"csrf_token": token})
    with as_tenant(tenant):
        db.session.expire_all()
        assert db.session.get(Group, group.id).memberships == []
        assert db.session.get(User, member.id) is not None  # removing from a group never removes the person


def test_user_list_pages_by_25_and_a_page_past_the_last_goes_to_the_last(
    tenant_factory, user_factory, client_for
):
    tenant = tenant_factory()
    admin = user_factory(tenant, roles=("tenant_admin",), full_name="Aa Admin")
    for number in range(26):
        user_factory(tenant, f"p{number:02d}@example.com", full_name=f"Person {number:02d}")
    client = client_for(tenant, admin)
    first = client.get("/admin/users").get_data(as_text=True)
    assert "Person 23" in first and "Person 24" not in first  # Aa Admin sorts first: 25 a page
    second = client.get("/admin/users?page=2").get_data(as_text=True)
    assert "Person 24" in second and "Person 25" in second and "Person 23" not in second
    beyond = client.get("/admin/users?page=9")
    assert beyond.status_code == 302 and beyond.headers["Location"] == "/admin/users?page=2"
    assert "Person 23" in client.get("/admin/users?page=0").get_data(as_text=True)  # not a page: the first


def test_user_list_sends_the_same_statements_for_a_few_people_or_a_full_page_in_many_units(
    db, tenant_factory, user_factory, client_for, count_queries
):
    """People, their units and their statuses: one page read in a fixed number of statements."""
    from app.accounts.services import create_org_unit, deactivate_user

    tenant = tenant_factory()
    admin = user_factory(tenant, roles=("tenant_admin",), full_name="Aa Admin")
    client = client_for(tenant, admin)

    def add(count: int, start: int) -> None:
        with as_tenant(tenant):
            units = [create_org_unit(f"Store {start + n}") for n in range(count)]
            db.session.commit()
            unit_ids = [unit.id for unit in units]
        for n, unit_id in enumerate(unit_ids):
            person = user_factory(tenant, full_name=f"Person {start + n:02d}", org_unit_id=unit_id)
            if n % 3 == 0:
                with as_tenant(tenant):
                    deactivate_user(db.session.merge(person))
                    db.session.commit()

    add(3, 0)
    with count_queries() as few:
        page = client.get("/admin/users").get_data(as_text=True)
    assert "Person 02" in page and "Store 2" in page and "Deactivated" in page
    add(30, 3)
    with count_queries() as many:
        page = client.get("/admin/users").get_data(as_text=True)
    assert many.count == few.count
    assert "34 people" in page and "Person 23" in page and "Store 23" in page and "Person 24" not in page
    assert page.count('class="badge badge-deactivated"') == 8  # Persons 00, 03, … 21 on the first page
