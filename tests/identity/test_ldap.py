"""Signing in with a portal's LDAP directory, against a real OpenLDAP slapd (see ldap_server.py)."""

from __future__ import annotations

import re
import socket
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select

from app.accounts.models import SignInFailures, User
from app.identity.ldap import directory
from app.identity.ldap import services as ldap_services
from app.identity.models import IdentityProvider, UserIdentity
from app.identity.provisioning import IdentityRefused
from app.tenancy import as_tenant
from tests.conftest import csrf_token, sign_in
from tests.identity import ldap_server
from tests.identity.ldap_server import PASSWORDS, READER_DN, READER_PASSWORD, Directory, free_port

DOWN_PORT = free_port()  # nothing listens here
SILENT_PORT = free_port()  # accepts connections and never answers
COUNTING_PORT = free_port()  # counts the connections it receives


@pytest.fixture(scope="module")
def slapd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Directory]:
    binary = ldap_server.require_slapd()
    process, where = ldap_server.start_slapd(binary, tmp_path_factory.mktemp("slapd"))
    yield where
    process.terminate()
    process.wait(10)


@pytest.fixture(scope="module", autouse=True)
def local_directory_allowed(app: Any) -> Iterator[None]:
    # The test directory is on 127.0.0.1, which the outbound guard refuses unless the operator allows it.
    before = app.config["OUTBOUND_ALLOWED_HOSTS"]
    app.config["OUTBOUND_ALLOWED_HOSTS"] = "127.0.0.1"
    yield
    app.config["OUTBOUND_ALLOWED_HOSTS"] = before


class Listener:
    """A TCP port that accepts connections and never answers, counting them."""

    def __init__(self, port: int) -> None:
        self.accepted = 0
        self.sock = socket.create_server(("127.0.0.1", port))
        self.open: list[socket.socket] = []
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _addr = self.sock.accept()
            except OSError:
                return
            self.accepted += 1
            self.open.append(conn)

    def close(self) -> None:
        self.sock.close()
        for conn in self.open:
            conn.close()


def settings_for(where: Directory, **overrides: Any) -> dict[str, Any]:
    data = {
        "url": where.tls_url,
        "starttls": False,
        "ca_cert": where.ca_pem,
        "bind_dn": READER_DN,
        "user_base": "ou=people,dc=example,dc=org",
        "user_filter": directory.DEFAULT_USER_FILTER,
        "subject_attribute": "entryUUID",
        "group_mode": "memberof",
    }
    data.update(overrides)
    return data


def add_directory(db: Any, tenant: Any, where: Directory, **overrides: Any) -> IdentityProvider:
    password = overrides.pop("bind_password", READER_PASSWORD)
    with as_tenant(tenant):
        provider = ldap_services.add_directory(
            "Head office directory", "", ["example.org"], settings_for(where, **overrides), password
        )
        db.session.commit()
        return provider


def fresh(db: Any, provider: IdentityProvider) -> IdentityProvider:
    """The provider as the database has it now (a request in another session may have changed it)."""
    db.session.expire_all()
    return db.session.get(IdentityProvider, provider.id)


# Signing in


def test_directory_password_signs_in_and_creates_the_person_with_their_attributes(
    db, slapd, tenant_factory, client_for
):
    tenant = tenant_factory()
    provider = add_directory(db, tenant, slapd)
    client = client_for(tenant)

    response = sign_in(client, "ada@example.org", PASSWORDS["ada"])

    assert response.status_code == 302
    assert "Ada Lovelace" in client.get("/account").get_data(as_text=True)
    with as_tenant(tenant):
        user = db.session.scalars(select(User).where(User.email == "ada@example.org")).one()
        assert (user.full_name, user.employee_id, user.job_title) == ("Ada Lovelace", "E100", "Analyst")
        identity = db.session.scalars(select(UserIdentity).where(UserIdentity.user_id == user.id)).one()
        # The subject is the entry's entryUUID, not its DN.
        assert re.fullmatch(r"[0-9a-f-]{36}", identity.subject)
        assert fresh(db, provider).last_success_at is not None


def test_starttls_on_ldap_url_signs_in_too(db, slapd, tenant_factory, client_for):
    tenant = tenant_factory()
    add_directory(db, tenant, slapd, url=slapd.plain_url, starttls=True)

    response = sign_in(client_for(tenant), "bob@example.org", PASSWORDS["bob"])

    assert response.status_code == 302


def test_changed_email_in_directory_updates_the_same_person(db, slapd, tenant_factory, client_for):
    tenant = tenant_factory()
    provider = add_directory(db, tenant, slapd)
    assert sign_in(client_for(tenant), "bob@example.org", PASSWORDS["bob"]).status_code == 302
    with as_tenant(tenant):
        identity = db.session.scalars(select(UserIdentity)).one()
        identity.user.email = "robert@example.org"  # as if Atrium had an old address for the same entry
        db.session.commit()

    assert sign_in(client_for(tenant), "bob@example.org", PASSWORDS["bob"]).status_code == 302

    db.session.expire_all()
    with as_tenant(tenant):
        people = db.session.scalars(select(User)).all()
        assert [p.email for p in people] == ["bob@example.org"]
        assert fresh(db, provider).last_success_at is not None


def test_wrong_password_is_refused_and_counts_toward_the_lockout(db, slapd, app, tenant_factory, client_for):
    tenant = tenant_factory()
    provider = add_directory(db, tenant, slapd)
    client = client_for(tenant)

    response = sign_in(client, "ada@example.org", "not-her-password")

    assert response.status_code == 401
    assert "That email and password do not match an active account" in response.get_data(as_text=True)
    with as_tenant(tenant):
        assert db.session.scalars(select(User)).all() == []
        assert fresh(db, provider).last_failure_reason == "wrong_password"
    for _attempt in range(app.config["LOGIN_MAX_FAILURES"] - 1):
        sign_in(client, "ada@example.org", "not-her-password")

    locked = sign_in(client, "ada@example.org", PASSWORDS["ada"])

    assert locked.status_code == 401
    assert "Too many failed attempts" in locked.get_data(as_text=True)
    with as_tenant(tenant):
        assert db.session.scalars(select(User)).all() == []
        assert db.session.scalars(select(SignInFailures)).one().locked_until is not None


def test_right_password_forgets_earlier_failures(db, slapd, tenant_factory, client_for):
    tenant = tenant_factory()
    add_directory(db, tenant, slapd)
    client = client_for(tenant)
    sign_in(client, "bob@example.org", "typo")

    assert sign_in(client, "bob@example.org", PASSWORDS["bob"]).status_code == 302
    with as_tenant(tenant):
        assert db.session.scalars(select(SignInFailures)).all() == []


def test_empty_password_is_refused_without_an_unauthenticated_bind(db, slapd, tenant_factory):
    tenant = tenant_factory()
    provider = add_directory(db, tenant, slapd)
    with as_tenant(tenant), pytest.raises(IdentityRefused) as refused:
        ldap_services.look_up(provider, "ada@example.org", "")
    assert refused.value.code == "wrong_password"


@pytest.mark.parametrize(
    "typed",
    ["*)(mail=*", "*@example.org", "*)(mail=*@example.org", "ada*@example.org", "ada@example.org)(|(uid=*"],
)
def test_ldap_injection_in_the_email_finds_nobody(db, slapd, tenant_factory, typed):
    tenant = tenant_factory()
    provider = add_directory(db, tenant, slapd)
    with as_tenant(tenant), pytest.raises(IdentityRefused) as refused:
        ldap_services.look_up(provider, typed, PASSWORDS["ada"])
    assert refused.value.code == "unknown_person"


def test_ldap_injection_on_the_sign_in_page_signs_nobody_in(db, slapd, tenant_factory, client_for):
    tenant = tenant_factory()
    add_directory(db, tenant, slapd)

    response = sign_in(client_for(tenant), "*)(mail=*@example.org", PASSWORDS["ada"])

    assert response.status_code == 401
    with as_tenant(tenant):
        assert db.session.scalars(select(User)).all() == []


def test_two_entries_with_one_email_are_refused(db, slapd, tenant_factory):
    tenant = tenant_factory()
    provider = add_directory(db, tenant, slapd)
    with as_tenant(tenant), pytest.raises(IdentityRefused) as refused:
        ldap_services.look_up(provider, "twin@example.org", PASSWORDS["twin1"])
    assert refused.value.code == "ambiguous"


def test_directory_down_gives_a_clear_error(db, slapd, tenant_factory, client_for):
    tenant = tenant_factory()
    provider = add_directory(db, tenant, slapd, url=f"ldaps://127.0.0.1:{DOWN_PORT}")

    response = sign_in(client_for(tenant), "ada@example.org", PASSWORDS["ada"])

    assert response.status_code == 401
    assert "The directory that checks your password is not answering. Try again in a few minutes." in (
        response.get_data(as_text=True)
    )
    with as_tenant(tenant):
        assert fresh(db, provider).last_failure_reason == "directory_down"


def test_directory_that_never_answers_times_out_with_the_same_error(db, slapd, tenant_factory, monkeypatch):
    monkeypatch.setattr(directory, "RECEIVE_TIMEOUT_SECONDS", 1)
    listener = Listener(SILENT_PORT)
    try:
        tenant = tenant_factory()
        provider = add_directory(db, tenant, slapd, url=f"ldap://127.0.0.1:{SILENT_PORT}", starttls=True)
        with as_tenant(tenant), pytest.raises(IdentityRefused) as refused:
            ldap_services.look_up(provider, "ada@example.org", PASSWORDS["ada"])
    finally:
        listener.close()
    assert refused.value.code == "directory_down"
    assert listener.accepted == 1


def test_untrusted_certificate_is_refused(db, slapd, tenant_factory):
    tenant = tenant_factory()
    _key, other_ca = ldap_server.make_ca("Someone else's CA")
    provider = add_directory(db, tenant, slapd, ca_cert=ldap_server.pem(other_ca))
    with as_tenant(tenant), pytest.raises(IdentityRefused) as refused:
        ldap_services.look_up(provider, "ada@example.org", PASSWORDS["ada"])
    assert refused.value.code == "tls_failed"
    assert "not working right now" in refused.value.message


def test_plain_ldap_is_refused_unless_the_operator_allows_it(db, slapd, app, tenant_factory, client_for):
    tenant = tenant_factory()
    plain = settings_for(slapd, url=slapd.plain_url, starttls=False)
    with as_tenant(tenant):
        from app.errors import ValidationError

        with pytest.raises(ValidationError) as refused:
            ldap_services.add_directory("Plain", "", ["example.org"], plain, READER_PASSWORD)
        assert refused.value.field == "starttls"
        db.session.rollback()
    app.config["LDAP_ALLOW_PLAIN"] = True
    try:
        provider = add_directory(db, tenant, slapd, url=slapd.plain_url, starttls=False)
        assert sign_in(client_for(tenant), "bob@example.org", PASSWORDS["bob"]).status_code == 302
    finally:
        app.config["LDAP_ALLOW_PLAIN"] = False
    # Switched off again: the saved plain directory is no longer used.
    response = sign_in(client_for(tenant), "bob@example.org", PASSWORDS["bob"])
    assert response.status_code == 401
    with as_tenant(tenant):
        assert fresh(db, provider).last_failure_reason == "plain_refused"


def test_directory_group_maps_to_role_and_group(db, slapd, tenant_factory, client_for):
    from app.accounts.services import create_group
    from app.identity import services as identity_services

    tenant = tenant_factory()
    provider = add_directory(db, tenant, slapd)
    with as_tenant(tenant):
        group = create_group("Store managers")
        identity_services.update_provider(
            db.session.get(IdentityProvider, provider.id),
            group_map=[
                {"value": "Managers", "target": "role:manager"},
                {"value": "cn=Managers,ou=groups,dc=example,dc=org", "target": f"group:{group.id}"},
            ],
        )
        db.session.commit()

    assert sign_in(client_for(tenant), "ada@example.org", PASSWORDS["ada"]).status_code == 302
    assert sign_in(client_for(tenant), "bob@example.org", PASSWORDS["bob"]).status_code == 302

    with as_tenant(tenant):
        ada = db.session.scalars(select(User).where(User.email == "ada@example.org")).one()
        bob = db.session.scalars(select(User).where(User.email == "bob@example.org")).one()
        assert "manager" in {a.role.key for a in ada.role_assignments}
        assert "manager" not in {a.role.key for a in bob.role_assignments}
        assert {m.user_id for m in db.session.get(type(group), group.id).memberships} == {ada.id}


def test_group_search_finds_groups_without_member_of(db, slapd, tenant_factory):
    tenant = tenant_factory()
    provider = add_directory(
        db,
        tenant,
        slapd,
        group_mode="search",
        group_base="ou=groups,dc=example,dc=org",
        group_filter="(&(objectClass=groupOfNames)(member={dn}))",
    )
    with as_tenant(tenant):
        db.session.get(IdentityProvider, provider.id).attribute_map = {"groups": "directoryGroups"}
        received = ldap_services.look_up(provider, "ada@example.org", PASSWORDS["ada"])
        db.session.rollback()
    assert received.attributes["directoryGroups"] == ["cn=Managers,ou=groups,dc=example,dc=org"]


def test_deactivated_person_is_refused(db, slapd, tenant_factory, user_factory, client_for):
    from app.accounts.services import deactivate_user

    tenant = tenant_factory()
    add_directory(db, tenant, slapd)
    dee = user_factory(tenant, "dee@example.org", full_name="Dee Parted")
    with as_tenant(tenant):
        deactivate_user(db.session.merge(dee))
        db.session.commit()

    response = sign_in(client_for(tenant), "dee@example.org", PASSWORDS["dee"])

    assert response.status_code == 401
    assert "Your account in this portal is deactivated" in response.get_data(as_text=True)


def test_someone_the_directory_does_not_know_signs_in_with_their_local_password(
    db, slapd, tenant_factory, user_factory, client_for
):
    from app.identity import services as identity_services

    tenant = tenant_factory()
    provider = add_directory(db, tenant, slapd)
    user_factory(tenant, "contractor@example.org")

    assert sign_in(client_for(tenant), "contractor@example.org").status_code == 302

    with as_tenant(tenant):
        identity_services.update_provider(db.session.get(IdentityProvider, provider.id), sso_only=True)
        db.session.commit()
    response = sign_in(client_for(tenant), "contractor@example.org")
    assert response.status_code == 401
    assert "That email and password do not match an active account" in response.get_data(as_text=True)


def test_break_glass_admin_signs_in_while_the_directory_is_down(
    db, slapd, tenant_factory, user_factory, client_for
):
    from app.identity import services as identity_services

    tenant = tenant_factory()
    add_directory(db, tenant, slapd, url=f"ldaps://127.0.0.1:{DOWN_PORT}")
    user_factory(tenant, "root@example.org", roles=("tenant_admin",))
    assert sign_in(client_for(tenant), "root@example.org").status_code == 401  # the directory is asked
    with as_tenant(tenant):
        identity_services.save_settings(
            default_provider_id=None,
            break_glass_emails=["root@example.org"],
            require_two_step_for_admins=False,
            badge_sign_in=False,
            shared_device_idle_minutes=3,
        )
        db.session.commit()

    assert sign_in(client_for(tenant), "root@example.org").status_code == 302


def test_another_portals_directory_is_never_consulted(db, slapd, tenant_factory, client_for):
    listener = Listener(COUNTING_PORT)
    try:
        other = tenant_factory()
        add_directory(db, other, slapd, url=f"ldaps://127.0.0.1:{COUNTING_PORT}")
        here = tenant_factory()

        response = sign_in(client_for(here), "ada@example.org", PASSWORDS["ada"])
    finally:
        listener.close()
    assert response.status_code == 401
    assert listener.accepted == 0
    with as_tenant(here):
        assert db.session.scalars(select(User)).all() == []


def test_bind_password_is_sealed_at_rest(db, slapd, tenant_factory):
    tenant = tenant_factory()
    provider = add_directory(db, tenant, slapd)
    with as_tenant(tenant):
        row = fresh(db, provider)
        assert row.secret_sealed is not None
        assert READER_PASSWORD.encode() not in row.secret_sealed
        assert READER_PASSWORD not in str(row.settings)


# The admin pages


@pytest.fixture
def admin_client(db, tenant_factory, user_factory, client_for):
    tenant = tenant_factory()
    admin = user_factory(tenant, "admin@portal.example", roles=("tenant_admin",))
    return tenant, client_for(tenant, admin)


def test_sign_in_page_shows_the_directorys_last_sign_in_and_failure(db, slapd, admin_client, client_for):
    tenant, client = admin_client
    add_directory(db, tenant, slapd)
    assert sign_in(client_for(tenant), "ada@example.org", PASSWORDS["ada"]).status_code == 302
    assert sign_in(client_for(tenant), "bob@example.org", "wrong").status_code == 401

    response = client.get("/admin/sign-in")

    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Head office directory" in page and "wrong_password" in page


def test_sign_in_page_warns_about_plain_ldap_and_an_expiring_ca(db, slapd, app, admin_client):
    tenant, client = admin_client
    app.config["LDAP_ALLOW_PLAIN"] = True
    try:
        add_directory(db, tenant, slapd, url=slapd.plain_url, starttls=False, ca_cert="")
    finally:
        app.config["LDAP_ALLOW_PLAIN"] = False
    with as_tenant(tenant):
        ldap_services.add_directory("Branch directory", "", ["example.net"], settings_for(slapd), "x")
        db.session.commit()

    page = client.get("/admin/sign-in").get_data(as_text=True)

    assert "Passwords reach this directory unencrypted (plain ldap://)." in page
    # The test CA is valid for two days.
    assert "The directory&#39;s CA certificate expires on" in page


def test_admin_adds_a_directory_from_the_sign_in_page(db, slapd, admin_client):
    tenant, client = admin_client
    assert "/admin/sign-in/ldap/new" in client.get("/admin/sign-in").get_data(as_text=True)
    form = {
        **settings_for(slapd),
        "starttls": "",
        "name": "Head office",
        "domains": "example.org",
        "bind_password": READER_PASSWORD,
        "csrf_token": csrf_token(client, "/admin/sign-in/ldap/new"),
    }
    form.pop("starttls")

    response = client.post("/admin/sign-in/ldap/new", data=form)

    assert response.status_code == 302
    with as_tenant(tenant):
        provider = db.session.scalars(select(IdentityProvider)).one()
        assert (provider.kind, provider.domains, provider.settings["url"]) == (
            "ldap",
            ["example.org"],
            slapd.tls_url,
        )
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Test connection" in page and READER_PASSWORD not in page


def test_admin_add_page_keeps_what_was_typed_and_names_the_problem(db, slapd, admin_client):
    tenant, client = admin_client
    form = {
        **settings_for(slapd, url="http://ldap.example.org", user_filter="(mail=*)"),
        "name": "Head office",
        "domains": "example.org",
        "bind_password": READER_PASSWORD,
        "csrf_token": csrf_token(client, "/admin/sign-in/ldap/new"),
    }

    response = client.post("/admin/sign-in/ldap/new", data=form)

    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Enter the server address like ldaps://ldap.example.com" in page
    assert 'value="http://ldap.example.org"' in page
    with as_tenant(tenant):
        assert db.session.scalars(select(IdentityProvider)).all() == []


def test_admin_tests_the_connection(db, slapd, admin_client):
    tenant, client = admin_client
    good = add_directory(db, tenant, slapd)
    url = f"/admin/sign-in/ldap/{good.id}"

    response = client.post(f"{url}/test-connection", data={"csrf_token": csrf_token(client, url)})

    page = response.get_data(as_text=True)
    assert "The connection works." in page
    assert "ou=people,dc=example,dc=org is readable" in page

    with as_tenant(tenant):
        bad = ldap_services.add_directory(
            "Wrong password", "", ["example.net"], settings_for(slapd), "not-the-reader-password"
        )
        db.session.commit()
    url = f"/admin/sign-in/ldap/{bad.id}"
    page = client.post(f"{url}/test-connection", data={"csrf_token": csrf_token(client, url)}).get_data(
        as_text=True
    )
    assert "The connection does not work." in page
    assert "refused the service account" in page


def test_admin_test_sign_in_shows_the_mapping_and_saves_nothing(db, slapd, admin_client):
    tenant, client = admin_client
    provider = add_directory(db, tenant, slapd)
    url = f"/admin/sign-in/ldap/{provider.id}/test-sign-in"

    response = client.post(
        url,
        data={
            "email": "ada@example.org",
            "password": PASSWORDS["ada"],
            "csrf_token": csrf_token(client, url),
        },
    )

    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "A new account would be created." in page
    assert "cn=Managers,ou=groups,dc=example,dc=org" in page
    assert "E100" in page
    assert PASSWORDS["ada"] not in page
    with as_tenant(tenant):
        assert db.session.scalars(select(User).where(User.email == "ada@example.org")).all() == []
        assert db.session.scalars(select(UserIdentity)).all() == []

    wrong = client.post(
        url, data={"email": "ada@example.org", "password": "nope", "csrf_token": csrf_token(client, url)}
    ).get_data(as_text=True)
    assert "The directory did not sign this person in." in wrong and "wrong_password" in wrong


def test_admin_saves_settings_and_keeps_the_password_when_left_empty(db, slapd, admin_client, client_for):
    tenant, client = admin_client
    provider = add_directory(db, tenant, slapd)
    url = f"/admin/sign-in/ldap/{provider.id}"
    with as_tenant(tenant):
        sealed_before = fresh(db, provider).secret_sealed
    form = {**settings_for(slapd, url=slapd.plain_url, starttls="y"), "csrf_token": csrf_token(client, url)}

    response = client.post(url, data=form)

    assert response.status_code == 302
    with as_tenant(tenant):
        row = fresh(db, provider)
        assert (row.settings["url"], row.settings["starttls"]) == (slapd.plain_url, True)
        assert row.secret_sealed == sealed_before
    assert sign_in(client_for(tenant), "bob@example.org", PASSWORDS["bob"]).status_code == 302
