"""Signed-in pages and exports are never kept by a browser or proxy; public files keep their caching."""

from __future__ import annotations

import re

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


def _brand_version(page: str) -> str:
    match = re.search(r'href="/brand\.css\?v=([0-9a-f]+)"', page)
    assert match, "brand.css is not linked with a version"
    return match.group(1)


def test_brand_files_are_kept_a_year_at_their_versioned_url(tenant_factory, user_factory, client_for):
    tenant = tenant_factory()
    client = client_for(tenant, user_factory(tenant))
    version = _brand_version(client.get("/").get_data(as_text=True))
    for path in (f"/brand.css?v={version}", f"/favicon.ico?v={version}"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable", path
        again = client.get(path, headers={"If-None-Match": response.headers["ETag"]})
        assert again.status_code == 304, path
        assert again.data == b"", path


def test_a_changed_brand_gets_a_new_url_at_once_and_the_old_one_is_not_kept(
    tenant_factory, user_factory, client_for
):
    tenant = tenant_factory(theme="default", branding={"primary": "#1d4ed8"})
    admin = client_for(tenant, user_factory(tenant, roles=("tenant_admin",)))
    before = _brand_version(admin.get("/").get_data(as_text=True))
    form = {
        "csrf_token": csrf_token(admin, "/admin/branding"),
        "display_name": "Renamed",
        "theme": "default",
        "primary": "#9a3412",
        "accent": "#7c2d12",
        "sign_in_message": "",
    }
    assert admin.post("/admin/branding", data=form).status_code == 302
    learner_page = client_for(tenant, user_factory(tenant)).get("/").get_data(as_text=True)
    after = _brand_version(learner_page)
    assert after != before
    new = client_for(tenant).get(f"/brand.css?v={after}")
    assert "--color-primary: #9a3412;" in new.get_data(as_text=True)
    assert new.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    old = client_for(tenant).get(f"/brand.css?v={before}")
    assert "--color-primary: #9a3412;" in old.get_data(as_text=True)  # today's brand, never the old one
    assert old.headers["Cache-Control"] == "no-cache"
    # A browser holding the old stylesheet asks again and is told it changed.
    assert (
        client_for(tenant).get(f"/brand.css?v={before}", headers={"If-None-Match": f'"{before}"'}).status_code
        == 200
    )


def test_pages_with_a_form_token_are_never_answered_not_modified(tenant_factory, user_factory, client_for):
    tenant = tenant_factory()
    anonymous = client_for(tenant)
    sign_in = anonymous.get("/sign-in")
    assert "ETag" not in sign_in.headers
    assert anonymous.get("/sign-in", headers={"If-None-Match": "*"}).status_code == 200
    signed_in = client_for(tenant, user_factory(tenant))
    page = signed_in.get("/catalog", headers={"If-None-Match": "*"})
    assert page.status_code == 200
    assert page.headers["Cache-Control"] == "no-store"
    assert "ETag" not in page.headers
