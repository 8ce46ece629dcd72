"""A session belongs to the tenant that issued it; cookies never cross subdomains."""

from __future__ import annotations

from tests.conftest import sign_in


def test_session_cookie_is_host_only_and_http_only(tenant_factory, user_factory, client_for):
    tenant = tenant_factory()
    user = user_factory(tenant)
    client = client_for(tenant)
    response = sign_in(client, user.email)
    cookies = response.headers.getlist("Set-Cookie")
    session_cookie = next(c for c in cookies if c.startswith("session="))
    assert "domain=" not in session_cookie.lower()
    assert "httponly" in session_cookie.lower()
    assert "samesite=lax" in session_cookie.lower()


def test_session_cookie_from_one_tenant_is_not_a_login_at_another(tenant_factory, user_factory, client_for):
    acme, bistro = tenant_factory(), tenant_factory()
    admin = user_factory(acme, roles=("tenant_admin",))
    # Same person, same email, admin in both tenants: the cookie must still not carry over.
    user_factory(bistro, admin.email, roles=("tenant_admin",))
    acme_client = client_for(acme, admin)
    assert acme_client.get("/admin/users").status_code == 200
    cookie = acme_client.get_cookie("session", domain=f"{acme.slug}.atrium.test")
    assert cookie is not None

    stolen = client_for(bistro)
    stolen.set_cookie("session", cookie.value, domain=f"{bistro.slug}.atrium.test")
    response = stolen.get("/admin/users")
    assert response.status_code == 302
    assert "/sign-in" in response.headers["Location"]


def test_deactivated_user_is_signed_out_everywhere(db, tenant_factory, user_factory, client_for):
    from app.accounts.services import deactivate_user
    from app.tenancy import as_tenant

    tenant = tenant_factory()
    user = user_factory(tenant)
    client = client_for(tenant, user)
    assert client.get("/account").status_code == 200
    with as_tenant(tenant):
        deactivate_user(db.session.merge(user))
        db.session.commit()
    assert client.get("/account").status_code == 302
