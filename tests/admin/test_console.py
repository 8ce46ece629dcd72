"""The platform console at the root domain creates, suspends and resumes tenants."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.tenancy.models import Tenant
from tests.conftest import csrf_token, unique_slug


@pytest.fixture
def operator_client(db, client_for, user_factory):
    platform = db.session.scalars(select(Tenant).where(Tenant.is_platform.is_(True))).one()
    operator = user_factory(platform, roles=("operator",))
    return client_for(platform, operator)


def test_operator_creates_a_tenant_with_a_first_admin(db, operator_client):
    slug = unique_slug("new")
    token = csrf_token(operator_client, "/console/")
    response = operator_client.post(
        "/console/tenants",
        data={
            "csrf_token": token,
            "slug": slug,
            "display_name": "Fabrikam Franchise",
            "audience": "franchise",
            "partner_tier": "",
            "default_locale": "es",
            "time_zone": "Europe/Madrid",
            "admin_email": "owner@fabrikam.example",
            "admin_name": "Fran Owner",
        },
    )
    assert response.status_code == 302
    listing = operator_client.get("/console/").get_data(as_text=True)
    assert "Fabrikam Franchise" in listing
    tenant = db.session.scalars(select(Tenant).where(Tenant.slug == slug)).one()
    assert tenant.default_locale == "es" and tenant.time_zone == "Europe/Madrid"


def test_bad_tenant_form_keeps_what_was_typed(operator_client):
    token = csrf_token(operator_client, "/console/")
    response = operator_client.post(
        "/console/tenants",
        data={
            "csrf_token": token,
            "slug": "Bad Slug!",
            "display_name": "Typed name",
            "audience": "franchise",
            "default_locale": "en",
            "time_zone": "Mars/Olympus",
        },
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Choose a time zone from the list." in page and 'value="Typed name"' in page
    response = operator_client.post(
        "/console/tenants",
        data={
            "csrf_token": token,
            "slug": "Bad Slug!",
            "display_name": "Typed name",
            "audience": "franchise",
            "default_locale": "en",
            "time_zone": "Europe/Madrid",
        },
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "lower-case letters" in page and '<option selected value="Europe/Madrid">' in page


def test_operator_suspends_and_resumes_a_tenant(db, operator_client, tenant_factory, client_for):
    tenant = tenant_factory(display_name="Soon Paused")
    token = csrf_token(operator_client, f"/console/tenants/{tenant.id}/suspend")
    assert (
        operator_client.post(
            f"/console/tenants/{tenant.id}/suspend", data={"csrf_token": token, "confirm": "yes"}
        ).status_code
        == 302
    )
    assert client_for(tenant).get("/sign-in").status_code == 403
    token = csrf_token(operator_client, "/console/")
    assert (
        operator_client.post(f"/console/tenants/{tenant.id}/resume", data={"csrf_token": token}).status_code
        == 302
    )
    assert client_for(tenant).get("/sign-in").status_code == 200


def test_console_is_not_served_on_tenant_hosts_and_needs_an_operator(
    tenant_factory, user_factory, client_for
):
    tenant = tenant_factory()
    admin = user_factory(tenant, roles=("tenant_admin",))
    assert client_for(tenant, admin).get("/console/").status_code == 404


def test_tenant_admin_of_platform_without_operator_role_is_refused(db, client_for, user_factory):
    platform = db.session.scalars(select(Tenant).where(Tenant.is_platform.is_(True))).one()
    nobody = user_factory(platform, roles=())
    assert client_for(platform, nobody).get("/console/").status_code == 403


def test_refused_first_admin_email_creates_nothing_and_lists_only_real_tenants(
    db, operator_client, tenant_factory, user_factory
):
    existing = tenant_factory(display_name="Already Here")
    user_factory(existing)
    user_factory(existing)
    slug = unique_slug("oak")
    token = csrf_token(operator_client, "/console/")
    response = operator_client.post(
        "/console/tenants",
        data={
            "csrf_token": token,
            "slug": slug,
            "display_name": "Oakridge Grocers",
            "audience": "employees",
            "default_locale": "en",
            "time_zone": "UTC",
            "admin_email": "owner-at-oakridge",
            "admin_name": "Olive Owner",
        },
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "valid email address" in page and 'value="owner-at-oakridge"' in page
    # The refused tenant is not in the table; the real ones keep their counts of active people.
    assert f"<small>{slug}</small>" not in page
    row = page.split(f"<small>{existing.slug}</small>", 1)[1].split("</tr>", 1)[0]
    assert ">2</td>" in row
    assert db.session.scalars(select(Tenant).where(Tenant.slug == slug)).first() is None


def test_suspending_a_tenant_asks_first_and_one_click_suspends_nothing(
    db, operator_client, tenant_factory, user_factory, client_for
):
    tenant = tenant_factory(display_name="Busy Portal")
    user_factory(tenant)
    listing = operator_client.get("/console/").get_data(as_text=True)
    # The table offers a link to the question, not a button that suspends.
    assert f'href="/console/tenants/{tenant.id}/suspend"' in listing
    question = operator_client.get(f"/console/tenants/{tenant.id}/suspend")
    page = question.get_data(as_text=True)
    assert question.status_code == 200
    assert "Suspend Busy Portal?" in page and "1 active person cannot sign in" in page
    assert 'name="confirm" type="hidden" value="yes"' in page

    token = csrf_token(operator_client, "/console/")
    refused = operator_client.post(f"/console/tenants/{tenant.id}/suspend", data={"csrf_token": token})
    assert refused.status_code == 422
    assert "Nothing was changed yet" in refused.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Tenant, tenant.id).status == "active"
    assert client_for(tenant).get("/sign-in").status_code == 200
