"""Every portal answers /favicon.ico: the tenant's own icon, or Atrium's, cached by the browser."""

from __future__ import annotations

import io

from PIL import Image


def test_favicon_ico_serves_the_default_icon_with_cache_headers(db, tenant_factory, client_for):
    tenant = tenant_factory()
    response = client_for(tenant).get("/favicon.ico")
    assert response.status_code == 200
    assert response.mimetype == "image/png"
    assert Image.open(io.BytesIO(response.data)).size == (64, 64)
    assert "max-age=" in response.headers["Cache-Control"]
    etag = response.headers["ETag"]
    again = client_for(tenant).get("/favicon.ico", headers={"If-None-Match": etag})
    assert again.status_code == 304


def test_favicon_ico_serves_the_tenants_own_favicon(db, tenant_factory, client_for):
    from app.storage import storage
    from app.tenancy import as_tenant
    from app.tenancy.branding import clean_favicon

    tenant = tenant_factory()
    upload = io.BytesIO()
    Image.new("RGB", (128, 128), "red").save(upload, format="PNG")
    with as_tenant(tenant):
        key = storage().save(tenant.id, "branding", *clean_favicon(upload.getvalue()))
        tenant.branding = {**(tenant.branding or {}), "favicon": key}
        db.session.commit()
    client = client_for(tenant)
    icon = Image.open(io.BytesIO(client.get("/favicon.ico").data)).convert("RGB")
    assert icon.getpixel((32, 32)) == (255, 0, 0)
    page = client.get("/sign-in").get_data(as_text=True)
    assert 'rel="icon" type="image/png" href="/favicon.ico?v=' in page


def test_the_platform_console_has_a_favicon_too(db, app, client_for):
    from sqlalchemy import select

    from app.tenancy.models import Tenant

    platform = db.session.scalars(select(Tenant).where(Tenant.is_platform.is_(True))).one()
    assert client_for(platform).get("/favicon.ico").status_code == 200
