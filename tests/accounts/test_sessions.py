"""Sign-in sessions live on the server: sign-out, sign-out everywhere and expiry end them for good."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select, update

from app.accounts.models import UserSession
from app.tenancy import as_tenant
from app.tenancy.models import utcnow
from tests.conftest import csrf_token, tenant_host


def _copy_cookie(client, tenant):
    cookie = client.get_cookie("session", domain=tenant_host(tenant))
    assert cookie is not None
    return cookie.value


def _replay(client_for, tenant, cookie):
    """A fresh client (another browser, or a thief) presenting a copied cookie."""
    thief = client_for(tenant)
    thief.set_cookie("session", cookie, domain=tenant_host(tenant))
    return thief


def _sessions_of(db, tenant, user):
    with as_tenant(tenant):
        db.session.expire_all()
        return list(
            db.session.scalars(
                select(UserSession).where(UserSession.user_id == user.id).order_by(UserSession.id)
            )
        )


def _age_sessions(db, tenant, user, **values):
    with as_tenant(tenant):
        db.session.execute(update(UserSession).where(UserSession.user_id == user.id).values(**values))
        db.session.commit()


def _post_from_account(client, path):
    return client.post(path, data={"csrf_token": csrf_token(client, "/account")})


def test_cookie_copied_before_sign_out_no_longer_signs_in(tenant_factory, user_factory, client_for):
    tenant = tenant_factory()
    user = user_factory(tenant)
    client = client_for(tenant, user)
    copied = _copy_cookie(client, tenant)
    assert _replay(client_for, tenant, copied).get("/account").status_code == 200
    _post_from_account(client, "/sign-out")
    replayed = _replay(client_for, tenant, copied).get("/account")
    assert replayed.status_code == 302 and "/sign-in" in replayed.headers["Location"]


def test_sign_out_everywhere_ends_the_session_on_another_device(tenant_factory, user_factory, client_for):
    tenant = tenant_factory()
    user = user_factory(tenant)
    laptop, phone = client_for(tenant, user), client_for(tenant, user)
    assert phone.get("/account").status_code == 200
    response = _post_from_account(laptop, "/account/sessions/sign-out-everywhere")
    assert response.status_code == 302 and response.headers["Location"] == "/sign-in"
    assert "You are signed out on every device." in laptop.get("/sign-in").get_data(as_text=True)
    assert phone.get("/account").status_code == 302
    assert laptop.get("/account").status_code == 302


def test_account_lists_devices_and_signs_out_one_of_them(db, tenant_factory, user_factory, client_for):
    tenant = tenant_factory()
    user = user_factory(tenant)
    laptop = client_for(tenant, user)
    phone = client_for(tenant, user)
    phone.environ_base["HTTP_USER_AGENT"] = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0) Safari/604.1"
    phone.get("/account")
    page = laptop.get("/account").get_data(as_text=True)
    assert "Where you are signed in" in page
    assert "(this device)" in page
    assert page.count("Sign out that device") == 1
    _laptop_session, phone_session = _sessions_of(db, tenant, user)
    assert phone_session.ip == phone.environ_base["REMOTE_ADDR"] and phone_session.ip in page
    response = _post_from_account(laptop, f"/account/sessions/{phone_session.id}/sign-out")
    assert response.status_code == 302
    assert phone.get("/account").status_code == 302
    after = laptop.get("/account")
    assert after.status_code == 200 and "Sign out that device" not in after.get_data(as_text=True)


def test_someone_elses_session_cannot_be_signed_out(db, tenant_factory, user_factory, client_for):
    tenant = tenant_factory()
    mine, theirs = user_factory(tenant), user_factory(tenant)
    client = client_for(tenant, mine)
    other = client_for(tenant, theirs)
    (their_session,) = _sessions_of(db, tenant, theirs)
    assert _post_from_account(client, f"/account/sessions/{their_session.id}/sign-out").status_code == 404
    assert other.get("/account").status_code == 200


def test_idle_session_ends_after_the_portals_idle_time(db, tenant_factory, user_factory, client_for):
    tenant = tenant_factory()
    user = user_factory(tenant)
    client = client_for(tenant, user)
    _age_sessions(db, tenant, user, last_seen_at=utcnow() - timedelta(hours=7, minutes=50))
    assert client.get("/account").status_code == 200  # within the default 8 hours
    _age_sessions(db, tenant, user, last_seen_at=utcnow() - timedelta(hours=8, minutes=1))
    assert client.get("/account").status_code == 302


def test_portal_with_a_shorter_idle_time_signs_out_sooner(db, tenant_factory, user_factory, client_for):
    from app.portal.services import update_session_settings

    tenant = tenant_factory()
    with as_tenant(tenant):  # as its admin changes it, from their own portal
        update_session_settings(tenant, idle_minutes=30, max_hours=12)
    db.session.commit()
    user = user_factory(tenant)
    client = client_for(tenant, user)
    _age_sessions(db, tenant, user, last_seen_at=utcnow() - timedelta(minutes=31))
    assert client.get("/account").status_code == 302


def test_session_ends_at_its_absolute_lifetime_even_when_active(db, tenant_factory, user_factory, client_for):
    tenant = tenant_factory()
    user = user_factory(tenant)
    client = client_for(tenant, user)
    _age_sessions(db, tenant, user, created_at=utcnow() - timedelta(days=6, hours=23))
    assert client.get("/account").status_code == 200
    _age_sessions(db, tenant, user, created_at=utcnow() - timedelta(days=7, minutes=1), last_seen_at=utcnow())
    assert client.get("/account").status_code == 302


def test_last_seen_is_written_at_most_once_a_minute(db, tenant_factory, user_factory, client_for):
    tenant = tenant_factory()
    user = user_factory(tenant)
    client = client_for(tenant, user)
    (first,) = _sessions_of(db, tenant, user)
    client.get("/account")
    (again,) = _sessions_of(db, tenant, user)
    assert again.last_seen_at == first.last_seen_at  # a page a second later writes nothing
    two_minutes_ago = utcnow() - timedelta(minutes=2)
    _age_sessions(db, tenant, user, last_seen_at=two_minutes_ago)
    client.get("/account")
    (touched,) = _sessions_of(db, tenant, user)
    assert touched.last_seen_at.replace(tzinfo=None) > (two_minutes_ago + timedelta(minutes=1)).replace(
        tzinfo=None
    )


def test_deactivation_ends_sessions_for_good(db, tenant_factory, user_factory, client_for):
    tenant = tenant_factory()
    admin = user_factory(tenant, roles=("tenant_admin",))
    person = user_factory(tenant)
    person_client = client_for(tenant, person)
    admin_client = client_for(tenant, admin)
    token = csrf_token(admin_client, f"/admin/users/{person.id}")
    admin_client.post(f"/admin/users/{person.id}/deactivate", data={"csrf_token": token})
    admin_client.post(f"/admin/users/{person.id}/reactivate", data={"csrf_token": token})
    # Reactivated, they sign in again; the session from before is not revived.
    assert person_client.get("/account").status_code == 302


def test_role_change_signs_the_person_out_but_not_the_admin(db, tenant_factory, user_factory, client_for):
    from app.accounts.services import role_by_key

    tenant = tenant_factory()
    admin = user_factory(tenant, roles=("tenant_admin",))
    person = user_factory(tenant)
    person_client = client_for(tenant, person)
    admin_client = client_for(tenant, admin)
    with as_tenant(tenant):
        manager_role, admin_role = role_by_key("manager").id, role_by_key("tenant_admin").id
    page = admin_client.get(f"/admin/users/{person.id}").get_data(as_text=True)
    fields = {
        "csrf_token": re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1),
        "email": person.email,
        "full_name": person.full_name,
        "roles": [str(manager_role)],
    }
    assert admin_client.post(f"/admin/users/{person.id}", data=fields).status_code == 302
    assert person_client.get("/account").status_code == 302
    # An admin changing their own roles keeps the session they are using.
    roles = [str(admin_role), str(manager_role)]
    own = {**fields, "email": admin.email, "full_name": admin.full_name, "roles": roles}
    assert admin_client.post(f"/admin/users/{admin.id}", data=own).status_code == 302
    assert admin_client.get("/account").status_code == 200


def test_password_change_ends_the_other_sessions(db, tenant_factory, user_factory, client_for):
    from app.accounts.services import set_password

    tenant = tenant_factory()
    user = user_factory(tenant)
    client = client_for(tenant, user)
    with as_tenant(tenant):
        set_password(db.session.merge(user), "a brand new secret")
        db.session.commit()
    assert client.get("/account").status_code == 302


def test_tenant_admin_sets_the_sign_in_limits_within_bounds(db, tenant_factory, user_factory, client_for):
    tenant = tenant_factory()
    client = client_for(tenant, user_factory(tenant, roles=("tenant_admin",)))
    token = csrf_token(client, "/admin/branding")
    refused = client.post(
        "/admin/branding/sessions",
        data={"csrf_token": token, "sessions-idle_minutes": "1", "sessions-max_hours": "24"},
    )
    page = refused.get_data(as_text=True)
    assert refused.status_code == 422 and "Enter between 5 and 1440 minutes." in page
    assert 'value="1"' in page and 'value="24"' in page  # what was typed is kept
    saved = client.post(
        "/admin/branding/sessions",
        data={"csrf_token": token, "sessions-idle_minutes": "45", "sessions-max_hours": "24"},
    )
    assert saved.status_code == 302
    db.session.refresh(tenant)
    assert (tenant.session_idle_minutes, tenant.session_max_hours) == (45, 24)
