"""Bad input gets a clear 4xx, decided once for the whole app: control characters, out-of-range numbers."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.conftest import csrf_token

# ---------------------------------------------------------------- control characters


@pytest.mark.parametrize("query", ["q=caf%00e", "q=%01", "status=%00", "caf%00e=1"])
def test_a_nul_byte_in_a_search_is_refused_with_a_branded_page(tenant_factory, user_factory, client_for, query):
    tenant = tenant_factory(display_name="Bistro Group")
    client = client_for(tenant, user_factory(tenant, roles=("tenant_admin",)))
    for path in ("/catalog", "/admin/users", "/admin/audit"):
        response = client.get(f"{path}?{query}")
        assert response.status_code == 400, path
        html = response.get_data(as_text=True)
        assert "invisible control characters" in html
        assert "Bistro Group" in html  # the portal's own layout, not a bare error
        assert 'id="main"' in html


def test_tabs_and_new_lines_are_still_text(tenant_factory, user_factory, client_for):
    tenant = tenant_factory()
    client = client_for(tenant, user_factory(tenant, roles=("tenant_admin",)))
    assert client.get("/admin/users?q=a%09b%0D%0Ac").status_code == 200


def test_a_group_named_with_a_nul_byte_is_refused_and_nothing_is_saved(tenant_factory, user_factory, client_for, db):
    from app.accounts.models import Group
    from app.tenancy import as_tenant

    tenant = tenant_factory()
    client = client_for(tenant, user_factory(tenant, roles=("tenant_admin",)))
    token = csrf_token(client, "/admin/groups")
    response = client.post("/admin/groups", data={"name": "Night\x00shift", "description": "", "csrf_token": token})
    assert response.status_code == 400
    assert "invisible control characters" in response.get_data(as_text=True)
    with as_tenant(tenant):
        assert db.session.scalars(select(Group)).all() == []
    response = client.post("/admin/groups", data={"name": "Night shift", "csrf_token": token})
    assert response.status_code == 302


def test_a_nul_byte_in_a_json_body_is_refused(tenant_factory, user_factory, client_for):
    tenant = tenant_factory()
    client = client_for(tenant, user_factory(tenant))
    response = client.post("/sign-out", json={"note": ["ok", {"x\x00": "y"}]})
    assert response.status_code == 400
