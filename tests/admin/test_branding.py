"""Tenant admins brand their portal: name, colours, logo, favicon, message and theme."""

from __future__ import annotations

import io

from PIL import Image

from app.tenancy.colours import contrast_ratio
from tests.conftest import csrf_token


def _png(width: int = 120, height: int = 40, fmt: str = "PNG") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (200, 30, 30)).save(out, format=fmt)
    return out.getvalue()


def _form(client, **overrides):
    data = {
        "csrf_token": csrf_token(client, "/admin/branding"),
        "display_name": "Bistro Bello",
        "theme": "warm",
        "primary": "#9a3412",
        "accent": "#7c2d12",
        "sign_in_message": "",
    }
    data.update(overrides)
    return data


def _admin_client(tenant_factory, user_factory, client_for, **tenant_fields):
    tenant = tenant_factory(**tenant_fields)
    return tenant, client_for(tenant, user_factory(tenant, roles=("tenant_admin",)))


def test_admin_saves_name_colours_theme_and_message(db, tenant_factory, user_factory, client_for):
    tenant, client = _admin_client(tenant_factory, user_factory, client_for)
    response = client.post("/admin/branding", data=_form(client, sign_in_message="Welcome, crew! <b>hi</b>"))
    assert response.status_code == 302
    sign_in_page = client_for(tenant).get("/sign-in").get_data(as_text=True)
    assert "Sign in to <bdi>Bistro Bello" in sign_in_page
    assert "Welcome, crew! &lt;b&gt;hi&lt;/b&gt;" in sign_in_page  # shown as text, never as markup
    assert "theme-warm" in sign_in_page
    css = client_for(tenant).get("/brand.css").get_data(as_text=True)
    assert "--color-primary: #9a3412;" in css
    audit = client.get("/admin/audit").get_data(as_text=True)
    assert "tenant.branding_changed" in audit


def test_pale_yellow_is_refused_with_the_reason_and_a_passing_suggestion(
    db, tenant_factory, user_factory, client_for
):
    tenant, client = _admin_client(tenant_factory, user_factory, client_for, display_name="Before")
    response = client.post(
        "/admin/branding", data=_form(client, theme="default", primary="#ffff99", display_name="After")
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "#ffff99 gives text a contrast of only 1.0:1" in page
    assert "at least 4.5:1" in page
    suggestion = page.split("The nearest colour that passes is ", 1)[1][:7]
    assert contrast_ratio(suggestion, "#ffffff") >= 4.5
    assert 'value="#ffff99"' in page and 'value="After"' in page  # what was typed is kept
    db.session.refresh(tenant)
    assert tenant.display_name == "Before"  # nothing saved


def test_contrast_is_judged_against_the_chosen_themes_background(tenant_factory, user_factory, client_for):
    _, client = _admin_client(tenant_factory, user_factory, client_for)
    # Dark navy reads well on white but not on the midnight theme's dark background.
    assert (
        client.post("/admin/branding", data=_form(client, theme="default", primary="#1e3a8a")).status_code
        == 302
    )
    refused = client.post(
        "/admin/branding", data=_form(client, theme="midnight", primary="#1e3a8a", accent="#fbbf24")
    )
    assert refused.status_code == 422


def test_live_preview_shows_contrast_verdicts_without_saving(db, tenant_factory, user_factory, client_for):
    tenant, client = _admin_client(tenant_factory, user_factory, client_for, display_name="Keep me")
    token = csrf_token(client, "/admin/branding")
    partial = client.post(
        "/admin/branding/preview",
        data={"csrf_token": token, "theme": "default", "primary": "#ffff99", "accent": "#0f766e"},
        headers={"HX-Request": "true"},
    )
    body = partial.get_data(as_text=True)
    assert partial.status_code == 200 and "<html" not in body
    assert "too low to read" in body and "The nearest colour that passes is" in body
    assert "preview.css?" in body
    css = client.get("/admin/branding/preview.css?theme=default&primary=%23ffff99&accent=%230f766e")
    assert ".brand-preview" in css.get_data(as_text=True) and "#ffff99" in css.get_data(as_text=True)
    # Without JavaScript, the same preview is a button on the full form.
    full = client.post("/admin/branding", data=_form(client, primary="#ffff99", action="preview"))
    assert full.status_code == 200 and "too low to read" in full.get_data(as_text=True)
    db.session.refresh(tenant)
    assert tenant.display_name == "Keep me"


def test_logo_upload_is_checked_re_encoded_and_served_to_this_tenant_only(
    db, tenant_factory, user_factory, client_for
):
    tenant, client = _admin_client(tenant_factory, user_factory, client_for)
    data = _form(client)
    data["logo"] = (io.BytesIO(_png()), "logo.png")
    assert client.post("/admin/branding", data=data, content_type="multipart/form-data").status_code == 302
    logo = client_for(tenant).get("/brand/logo")
    assert logo.status_code == 200 and logo.mimetype == "image/png"
    assert Image.open(io.BytesIO(logo.data)).size == (120, 40)
    assert "/brand/logo?v=" in client_for(tenant).get("/sign-in").get_data(as_text=True)
    other = tenant_factory()
    assert client_for(other).get("/brand/logo").status_code == 404


def test_svg_logos_are_refused(tenant_factory, user_factory, client_for):
    _, client = _admin_client(tenant_factory, user_factory, client_for)
    data = _form(client)
    data["logo"] = (
        io.BytesIO(b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'),
        "logo.png",
    )
    response = client.post("/admin/branding", data=data, content_type="multipart/form-data")
    assert response.status_code == 422
    assert "SVG images are not accepted" in response.get_data(as_text=True)


def test_a_file_that_lies_about_being_an_image_is_refused(tenant_factory, user_factory, client_for):
    _, client = _admin_client(tenant_factory, user_factory, client_for)
    data = _form(client)
    data["logo"] = (io.BytesIO(b"MZ\x90\x00 definitely not a picture" * 10), "logo.png")
    response = client.post("/admin/branding", data=data, content_type="multipart/form-data")
    assert response.status_code == 422
    assert "not a PNG, JPEG or WebP image, whatever its name says" in response.get_data(as_text=True)


def test_oversized_logo_dimensions_are_refused(tenant_factory, user_factory, client_for):
    _, client = _admin_client(tenant_factory, user_factory, client_for)
    data = _form(client)
    data["logo"] = (io.BytesIO(_png(2400, 100)), "wide.png")
    response = client.post("/admin/branding", data=data, content_type="multipart/form-data")
    assert response.status_code == 422
    assert "2400×100 pixels" in response.get_data(as_text=True)


def test_favicon_is_shrunk_to_64_pixels(tenant_factory, user_factory, client_for):
    tenant, client = _admin_client(tenant_factory, user_factory, client_for)
    data = _form(client)
    data["favicon"] = (io.BytesIO(_png(512, 512, "WEBP")), "icon.webp")
    assert client.post("/admin/branding", data=data, content_type="multipart/form-data").status_code == 302
    icon = client_for(tenant).get("/brand/favicon")
    assert icon.mimetype == "image/png"
    assert Image.open(io.BytesIO(icon.data)).size == (64, 64)


def test_branding_page_is_for_admins_only(tenant_factory, user_factory, client_for):
    tenant = tenant_factory()
    assert client_for(tenant, user_factory(tenant)).get("/admin/branding").status_code == 403


def test_admin_chooses_languages_default_and_time_zone(db, tenant_factory, user_factory, client_for):
    tenant, client = _admin_client(tenant_factory, user_factory, client_for)
    token = csrf_token(client, "/admin/branding")
    response = client.post(
        "/admin/branding/languages",
        data={
            "locale-csrf_token": token,
            "csrf_token": token,
            "locale-enabled_locales": ["en", "es", "ar"],
            "locale-default_locale": "es",
            "locale-time_zone": "Europe/Madrid",
        },
    )
    assert response.status_code == 302
    db.session.refresh(tenant)
    assert tenant.enabled_locales == ["en", "es", "ar"] and tenant.default_locale == "es"
    assert tenant.time_zone == "Europe/Madrid"
    assert '<html lang="es"' in client_for(tenant).get("/sign-in").get_data(as_text=True)
    refused = client.post(
        "/admin/branding/languages",
        data={
            "csrf_token": token,
            "locale-enabled_locales": ["en"],
            "locale-default_locale": "fr",
            "locale-time_zone": "Europe/Madrid",
        },
        headers={"Accept-Language": "en"},
    )
    assert refused.status_code == 422
    assert "The default language must be one of the enabled languages." in refused.get_data(as_text=True)
    db.session.refresh(tenant)
    assert tenant.default_locale == "es"
