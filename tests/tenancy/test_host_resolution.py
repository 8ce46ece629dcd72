"""Every request resolves its tenant from the Host header first."""

from __future__ import annotations

import io

import pytest

from app.tenancy import platform_writes
from app.tenancy.models import TenantDomain
from tests.conftest import TEST_DOMAIN, sign_in


def test_tenant_subdomain_serves_that_tenants_sign_in_page(tenant_factory, client_for):
    tenant = tenant_factory(display_name="Harbour Logistics Academy")
    page = client_for(tenant).get("/sign-in")
    assert page.status_code == 200
    assert "Harbour Logistics Academy" in page.get_data(as_text=True)


def test_unknown_host_gets_a_404_that_names_no_tenant(app, tenant_factory):
    tenant_factory(display_name="Secret Partner Portal")
    client = app.test_client()
    for host in (f"nobody.{TEST_DOMAIN}", "evil.example.com", f"a.b.{TEST_DOMAIN}"):
        response = client.get("/sign-in", headers={"Host": host})
        body = response.get_data(as_text=True)
        assert response.status_code == 404
        assert "Secret Partner Portal" not in body
        assert "Page not found" in body


def test_unknown_and_missing_pages_answer_the_same(app, tenant_factory):
    tenant = tenant_factory()
    client = app.test_client()
    unknown_host = client.get("/sign-in", headers={"Host": f"zzz-missing.{TEST_DOMAIN}"})
    missing_page = client.get("/no-such-page", headers={"Host": f"{tenant.slug}.{TEST_DOMAIN}"})
    assert unknown_host.status_code == missing_page.status_code == 404
    assert unknown_host.get_data(as_text=True) == missing_page.get_data(as_text=True)


def test_root_domain_is_the_platform_console(app):
    response = app.test_client().get("/", headers={"Host": TEST_DOMAIN})
    assert response.status_code == 302
    assert "/console/" in response.headers["Location"]


def test_platform_tenant_is_not_reachable_as_a_subdomain(app):
    response = app.test_client().get("/sign-in", headers={"Host": f"platform.{TEST_DOMAIN}"})
    assert response.status_code == 404


def test_verified_custom_domain_serves_the_tenant_and_unverified_does_not(app, db, tenant_factory):
    tenant = tenant_factory(display_name="Contoso Learning")
    with platform_writes("tests: domains as an operator adds them"):
        db.session.add(TenantDomain(tenant_id=tenant.id, domain="learn.contoso.example", verified=True))
        db.session.add(TenantDomain(tenant_id=tenant.id, domain="pending.contoso.example", verified=False))
    db.session.commit()
    client = app.test_client()
    verified = client.get("/sign-in", headers={"Host": "learn.contoso.example:443"})
    assert verified.status_code == 200
    assert "Contoso Learning" in verified.get_data(as_text=True)
    assert client.get("/sign-in", headers={"Host": "pending.contoso.example"}).status_code == 404


def test_suspended_tenant_answers_403_and_refuses_sign_in(db, tenant_factory, user_factory, client_for):
    from app.console.services import suspend_tenant

    tenant = tenant_factory(display_name="Paused Portal")
    user = user_factory(tenant, "pat@paused.example")
    client = client_for(tenant)
    assert sign_in(client, user.email).status_code == 302  # works while active
    client.post("/sign-out", data={"csrf_token": "x"})
    suspend_tenant(db.session.merge(tenant))
    db.session.commit()
    fresh = client_for(tenant)
    page = fresh.get("/sign-in")
    assert page.status_code == 403
    assert "suspended" in page.get_data(as_text=True)
    refused = fresh.post("/sign-in", data={"email": user.email, "password": "correct horse battery"})
    assert refused.status_code == 403
    assert fresh.get("/admin/users").status_code == 403
    assert fresh.get("/api/v1/users").status_code == 403


def test_signed_in_session_stops_working_when_tenant_is_suspended(
    db, tenant_factory, user_factory, client_for
):
    from app.console.services import suspend_tenant

    tenant = tenant_factory()
    admin = user_factory(tenant, roles=("tenant_admin",))
    client = client_for(tenant, admin)
    assert client.get("/admin/users").status_code == 200
    suspend_tenant(db.session.merge(tenant))
    db.session.commit()
    assert client.get("/admin/users").status_code == 403


MALFORMED_HOSTS = (
    f".{TEST_DOMAIN}",
    f"..{TEST_DOMAIN}",
    f"a..{TEST_DOMAIN}",
    f"{TEST_DOMAIN}..",
    f".{TEST_DOMAIN}.",
    f"{TEST_DOMAIN}:99999",
    f"{TEST_DOMAIN}:-1",
    f"{TEST_DOMAIN}:http",
    f"{TEST_DOMAIN}:",
    ":443",
    ".",
    "[::1",
    "[]",
    f"{'a' * 300}.{TEST_DOMAIN}",
    f"{'a' * 64}.{TEST_DOMAIN}",
    "a b.example.com",
    f"-bad.{TEST_DOMAIN}",
    "ex\u00e4mple.com",
)


def test_a_malformed_host_answers_not_found(app, tenant_factory):
    tenant_factory()
    client = app.test_client()
    for host in MALFORMED_HOSTS:
        for path in ("/", "/sign-in", "/static/css/atrium.css"):
            response = client.get(path, headers={"Host": host})
            assert response.status_code in (400, 404), (host, path, response.status_code)
            if path != "/static/css/atrium.css":
                assert "Page not found" in response.get_data(as_text=True) or response.status_code == 400


@pytest.mark.parametrize("host", ["xn--.example.com", f"xn--zz.{TEST_DOMAIN}", "\u00e4.example.com"])
def test_a_host_that_is_not_valid_punycode_answers_not_found(app, host):
    # Werkzeug's test client cannot send these Host headers, so the request is made as a server would.
    statuses: list[str] = []
    environ = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": "/sign-in",
        "SERVER_NAME": "server",
        "SERVER_PORT": "80",
        "HTTP_HOST": host,
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(),
        "wsgi.errors": io.StringIO(),
    }
    body = b"".join(app(environ, lambda status, headers, exc_info=None: statuses.append(status)))
    assert statuses == ["404 NOT FOUND"]
    assert b"Page not found" in body


def test_a_fully_qualified_host_with_its_trailing_dot_still_serves_its_portal(tenant_factory, app):
    tenant = tenant_factory(display_name="Harbour Logistics Academy")
    response = app.test_client().get("/sign-in", headers={"Host": f"{tenant.slug}.{TEST_DOMAIN}.:5000"})
    assert response.status_code == 200
    assert "Harbour Logistics Academy" in response.get_data(as_text=True)
