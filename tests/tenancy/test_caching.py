"""Signed-in pages and exports are never kept by a browser or proxy; public files keep their caching."""

from __future__ import annotations

from app.policies import services as policies
from app.tenancy import as_tenant
from tests.conftest import csrf_token


def test_signed_in_pages_and_exports_are_not_stored(db, tenant_factory, user_factory, client_for):
    tenant = tenant_factory()
    client = client_for(tenant, user_factory(tenant, roles=("tenant_admin",)))
    with as_tenant(tenant):
        policy = policies.create_policy("Code of Ethics")
        version = policies.publish_version(policies.save_draft(policy, "Be honest."))
        db.session.commit()
    for path in ("/", "/account", "/admin/users"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert response.headers.get("Cache-Control") == "no-store", path
    report = f"/admin/policies/{policy.id}/versions/{version.id}"
    export = client.post(f"{report}/export.csv", data={"csrf_token": csrf_token(client, report)})
    assert export.status_code == 200
    assert export.headers.get("Cache-Control") == "no-store"


def test_public_pages_and_files_keep_their_caching(tenant_factory, user_factory, client_for):
    tenant = tenant_factory()
    anonymous = client_for(tenant)
    assert "no-store" not in anonymous.get("/sign-in").headers.get("Cache-Control", "")
    signed_in = client_for(tenant, user_factory(tenant))
    for path in ("/static/css/atrium.css", "/brand.css?v=1", "/themes/warm/theme.css"):
        with signed_in.get(path) as response:
            assert response.status_code == 200, path
            assert response.headers.get("Cache-Control") not in (None, "no-store"), path
