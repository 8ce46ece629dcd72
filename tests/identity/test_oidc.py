"""Signing in with OpenID Connect against a real provider (scripts/demo_oidc_provider.py, built with
Authlib's server side) listening on a local port: the code flow with PKCE, the ID token checks, keys
that rotate, and what a person or an admin sees when something is wrong."""

from __future__ import annotations

import importlib.util
import re
import socket
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests
from sqlalchemy import func, select
from werkzeug.serving import make_server

from app.accounts.models import User
from app.identity import services as identity_services
from app.identity.models import IdentityProvider, UserIdentity
from app.identity.oidc import services as oidc_services
from app.tenancy import as_tenant
from tests.conftest import PASSWORD, TEST_DOMAIN, continued_to, csrf_token

PORTS = range(9120, 9140)


def _load_demo_provider() -> Any:
    path = Path(__file__).resolve().parents[2] / "scripts" / "demo_oidc_provider.py"
    spec = importlib.util.spec_from_file_location("demo_oidc_provider", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


demo = _load_demo_provider()


def _free_port() -> int:
    for port in PORTS:
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port in 9120-9139")


@pytest.fixture(scope="module")
def idp() -> Iterator[Any]:
    """The demo OpenID Connect provider, served by werkzeug in a thread."""
    port = _free_port()
    provider = demo.DemoProvider(f"http://127.0.0.1:{port}", [])
    server = make_server("127.0.0.1", port, provider.app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield provider
    server.shutdown()
    thread.join(timeout=5)


@pytest.fixture
def provider(idp: Any) -> Iterator[Any]:
    """The provider, behaving well again after each test."""
    yield idp
    idp.overrides, idp.left_out = {}, set()
    idp.tamper_signature = idp.sign_with_unlisted_key = False
    idp.token_auth_methods = ["client_secret_basic", "client_secret_post"]
    idp.clients[demo.DEMO_CLIENT_ID].auth_methods = ("client_secret_basic", "client_secret_post")
    for name, person in demo.DEMO_USERS.items():
        idp.users[name]["claims"] = dict(person["claims"])


@pytest.fixture
def allowed(app: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """The operator allows the local provider (as `make run` does); the guard's default refuses it."""
    monkeypatch.setitem(app.config, "OUTBOUND_ALLOWED_HOSTS", "127.0.0.1")


def _portal(db: Any, tenant_factory: Any, idp: Any, **common: Any) -> tuple[Any, int]:
    """A portal with the demo provider added from its discovery URL, and the callback registered there."""
    tenant = tenant_factory()
    idp.clients[demo.DEMO_CLIENT_ID].redirect_uris.append(
        f"http://{tenant.slug}.{TEST_DOMAIN}/sso/oidc/callback"
    )
    with as_tenant(tenant):
        added = oidc_services.add_provider(
            "Partner SSO",
            "partner-sso",
            common.pop("domains", ["partners.example"]),
            oidc_services.Connection(
                discovery_url=idp.issuer,
                client_id=demo.DEMO_CLIENT_ID,
                client_secret=demo.DEMO_CLIENT_SECRET,
            ),
        )
        db.session.commit()
        return tenant, added.id


def _to_provider(client: Any, path: str = "/sso/partner-sso", **kwargs: Any) -> str:
    if kwargs:  # a form (Test sign-in): its answer moves on by itself, it cannot redirect to another site
        return continued_to(client.post(path, **kwargs))
    response = client.get(path)
    assert response.status_code == 302, response.get_data(as_text=True)
    return response.headers["Location"]


def _at_provider(authorize_url: str, username: str = "jordan", action: str = "sign-in") -> str:
    """Sign in on the provider's own page, as the person would; the address it sends them back to."""
    page = requests.get(authorize_url, timeout=10)
    assert page.status_code == 200 and "Partner SSO" in page.text
    answer = requests.post(
        authorize_url,
        data={"username": username, "password": demo.DEMO_PASSWORD, "action": action},
        allow_redirects=False,
        timeout=10,
    )
    assert answer.status_code == 302, answer.text
    back = urlsplit(answer.headers["Location"])
    return f"{back.path}?{back.query}"


def _sign_in(client: Any, username: str = "jordan") -> Any:
    return client.get(_at_provider(_to_provider(client), username))


def _people(db: Any, tenant: Any, email_like: str) -> list[User]:
    with as_tenant(tenant):
        db.session.expire_all()  # the requests ran in sessions of their own
        return list(db.session.scalars(select(User).where(User.email.like(email_like))))


def _failure(db: Any, tenant: Any, provider_id: int) -> str | None:
    with as_tenant(tenant):
        db.session.expire_all()
        return db.session.get(IdentityProvider, provider_id).last_failure_reason


def test_partner_employee_signs_in_and_gets_an_account(db, tenant_factory, client_for, provider, allowed):
    tenant, provider_id = _portal(db, tenant_factory, provider)
    client = client_for(tenant)
    sign_in_page = client.get("/sign-in").get_data(as_text=True)
    assert "Sign in with Partner SSO" in sign_in_page

    authorize = _to_provider(client)
    assert authorize.startswith(f"{provider.issuer}/authorize?")
    assert "code_challenge_method=S256" in authorize and "nonce=" in authorize
    back = client.get(_at_provider(authorize))

    assert back.status_code == 302
    home = client.get(back.headers["Location"], follow_redirects=True)
    assert "Jordan Reyes" in home.get_data(as_text=True)
    (person,) = _people(db, tenant, "jordan@%")
    assert (person.full_name, person.job_title) == ("Jordan Reyes", "Solutions engineer")
    with as_tenant(tenant):
        identity = db.session.scalars(select(UserIdentity).where(UserIdentity.user_id == person.id)).one()
        assert (identity.provider_id, identity.subject) == (provider_id, "partner-0001")
        from app.audit.models import AuditEvent

        signed_in = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "user.signed_in")).one()
        assert signed_in.target_id == str(person.id)
        assert signed_in.after["method"] == "oidc" and signed_in.after["provider"]


def test_existing_account_in_the_providers_domain_is_linked_not_duplicated(
    db, tenant_factory, user_factory, client_for, provider, allowed
):
    tenant, _provider_id = _portal(db, tenant_factory, provider)
    existing = user_factory(tenant, "jordan@partners.example", full_name="J. Reyes")

    assert _sign_in(client_for(tenant)).status_code == 302

    (person,) = _people(db, tenant, "jordan@%")
    assert person.id == existing.id
    assert person.full_name == "Jordan Reyes"  # updated from the provider's claims


def test_changed_email_at_the_provider_updates_the_same_person(
    db, tenant_factory, client_for, provider, allowed
):
    tenant, _provider_id = _portal(db, tenant_factory, provider)
    assert _sign_in(client_for(tenant)).status_code == 302
    provider.users["jordan"]["claims"]["email"] = "jordan.reyes@partners.example"

    assert _sign_in(client_for(tenant)).status_code == 302

    people = _people(db, tenant, "jordan%")
    assert [p.email for p in people] == ["jordan.reyes@partners.example"]


@pytest.mark.parametrize(
    ("misbehaviour", "reason"),
    [
        ({"nonce": "not-the-nonce-atrium-sent"}, "id_token_nonce"),
        ({"aud": ["some-other-client"]}, "id_token_audience"),
        ({"aud": [demo.DEMO_CLIENT_ID, "another-client"]}, "id_token_azp"),
        ({"iss": "https://evil.example"}, "id_token_issuer"),
        ({"exp": int(time.time()) - 3600, "iat": int(time.time()) - 4000}, "id_token_expired"),
        ("tamper", "id_token_signature"),
    ],
    ids=[
        "wrong nonce",
        "wrong audience",
        "several audiences without azp",
        "wrong issuer",
        "expired",
        "tampered signature",
    ],
)
def test_an_id_token_that_fails_a_check_signs_nobody_in(
    db, tenant_factory, client_for, provider, allowed, misbehaviour, reason
):
    tenant, provider_id = _portal(db, tenant_factory, provider)
    if misbehaviour == "tamper":
        provider.tamper_signature = True
    else:
        provider.overrides = dict(misbehaviour)
    client = client_for(tenant)

    response = _sign_in(client)

    assert response.status_code == 403
    page = response.get_data(as_text=True)
    assert "Sign-in did not work" in page and "could not be trusted" in page
    assert _failure(db, tenant, provider_id) == reason
    assert _people(db, tenant, "jordan@%") == []
    assert client.get("/").headers["Location"].endswith("/sign-in")


def test_rotated_keys_are_fetched_once_when_an_unknown_key_id_arrives(
    db, tenant_factory, client_for, provider, allowed
):
    tenant, _provider_id = _portal(db, tenant_factory, provider)
    before = provider.jwks_requests
    assert _sign_in(client_for(tenant)).status_code == 302
    assert _sign_in(client_for(tenant), "casey").status_code == 302
    assert provider.jwks_requests == before + 1  # cached for the second sign-in

    provider.rotate_key()
    assert _sign_in(client_for(tenant)).status_code == 302

    assert provider.jwks_requests == before + 2


def test_a_key_the_provider_never_published_is_refused_after_one_refresh(
    db, tenant_factory, client_for, provider, allowed
):
    tenant, provider_id = _portal(db, tenant_factory, provider)
    assert _sign_in(client_for(tenant)).status_code == 302
    before = provider.jwks_requests
    provider.sign_with_unlisted_key = True

    assert _sign_in(client_for(tenant), "casey").status_code == 403

    assert provider.jwks_requests == before + 1
    assert _failure(db, tenant, provider_id) == "id_token_unknown_key"
    assert _people(db, tenant, "casey@%") == []


def test_client_secret_post_and_userinfo_when_the_provider_asks_for_them(
    db, tenant_factory, client_for, provider, allowed
):
    provider.token_auth_methods = ["client_secret_post"]
    provider.clients[demo.DEMO_CLIENT_ID].auth_methods = ("client_secret_post",)
    provider.left_out = {"email", "email_verified"}  # only userinfo tells the email
    tenant, _provider_id = _portal(db, tenant_factory, provider)

    assert _sign_in(client_for(tenant)).status_code == 302

    (person,) = _people(db, tenant, "jordan@%")
    assert person.full_name == "Jordan Reyes"


def test_an_unverified_email_neither_creates_nor_links_an_account(
    db, tenant_factory, user_factory, client_for, provider, allowed
):
    tenant, provider_id = _portal(db, tenant_factory, provider)
    user_factory(tenant, "casey@partners.example", full_name="Casey Local")
    provider.users["casey"]["claims"]["email_verified"] = False

    assert _sign_in(client_for(tenant), "casey").status_code == 403

    assert _failure(db, tenant, provider_id) == "no_email"
    with as_tenant(tenant):
        assert db.session.scalars(select(UserIdentity)).all() == []


def test_a_state_is_good_for_one_callback_in_the_browser_that_started_it(
    db, tenant_factory, client_for, provider, allowed
):
    tenant, _provider_id = _portal(db, tenant_factory, provider)
    client = client_for(tenant)
    callback = _at_provider(_to_provider(client))
    elsewhere = client_for(tenant)  # another browser: a login CSRF attempt with someone's callback

    assert elsewhere.get(callback).status_code == 400
    assert client.get(callback).status_code == 302
    replayed = client_for(tenant)
    _to_provider(replayed)  # has pending sign-ins of its own, not this one
    forged = re.sub(r"state=[^&]+", "state=made-up", callback)
    assert replayed.get(forged).status_code == 400
    assert "already used or took too long" in replayed.get(callback).get_data(as_text=True)
    assert len(_people(db, tenant, "jordan@%")) == 1


def test_cancelling_at_the_provider_shows_a_clear_page(db, tenant_factory, client_for, provider, allowed):
    tenant, provider_id = _portal(db, tenant_factory, provider)
    client = client_for(tenant)

    response = client.get(_at_provider(_to_provider(client), action="deny"))

    assert response.status_code == 403
    assert "Partner SSO did not sign you in: you cancelled, or it refused." in response.get_data(as_text=True)
    assert _failure(db, tenant, provider_id) == "provider_error:access_denied"


def _add_form(client: Any, issuer: str, **changes: str) -> dict[str, str]:
    return {
        "csrf_token": csrf_token(client, "/admin/sign-in/oidc/new"),
        "name": "Partner SSO",
        "slug": "",
        "domains": "partners.example",
        "preset": "custom",
        "discovery_url": f"{issuer}/.well-known/openid-configuration",
        "client_id": demo.DEMO_CLIENT_ID,
        "client_secret": demo.DEMO_CLIENT_SECRET,
        "scopes": "openid email profile",
        **changes,
    }


def test_a_provider_at_a_local_address_is_refused_unless_the_operator_allows_it(
    db, app, tenant_factory, user_factory, client_for, provider, monkeypatch
):
    monkeypatch.setitem(app.config, "OUTBOUND_ALLOWED_HOSTS", "")
    tenant = tenant_factory()
    admin = user_factory(tenant, roles=("tenant_admin",))
    client = client_for(tenant, admin)

    refused = client.post("/admin/sign-in/oidc/new", data=_add_form(client, provider.issuer))

    assert refused.status_code == 422
    page = refused.get_data(as_text=True)
    assert "private or local address" in page and "OUTBOUND_ALLOWED_HOSTS" in page
    assert f'value="{provider.issuer}/.well-known/openid-configuration"' in page  # kept as typed
    with as_tenant(tenant):
        assert db.session.scalar(select(func.count()).select_from(IdentityProvider)) == 0

    monkeypatch.setitem(app.config, "OUTBOUND_ALLOWED_HOSTS", "127.0.0.1")
    added = client.post("/admin/sign-in/oidc/new", data=_add_form(client, provider.issuer))

    assert added.status_code == 302
    with as_tenant(tenant):
        saved = db.session.scalars(select(IdentityProvider)).one()
        assert saved.settings["token_endpoint"] == f"{provider.issuer}/token"
        assert demo.DEMO_CLIENT_SECRET.encode() not in bytes(saved.secret_sealed)


def test_entra_preset_needs_a_directory_id_not_common(db, tenant_factory, user_factory, client_for, idp):
    tenant = tenant_factory()
    client = client_for(tenant, user_factory(tenant, roles=("tenant_admin",)))

    response = client.post(
        "/admin/sign-in/oidc/new",
        data=_add_form(client, idp.issuer, preset="entra", entra_tenant="common", discovery_url=""),
    )

    assert response.status_code == 422
    assert "Enter your directory (tenant) ID" in response.get_data(as_text=True)


def test_test_sign_in_shows_the_claims_and_saves_nothing(
    db, tenant_factory, user_factory, client_for, provider, allowed
):
    tenant, provider_id = _portal(db, tenant_factory, provider)
    admin = user_factory(tenant, f"admin-{uuid.uuid4().hex[:6]}@example.com", roles=("tenant_admin",))
    client = client_for(tenant, admin)
    path = f"/admin/sign-in/providers/{provider_id}"
    authorize = _to_provider(client, f"{path}/test", data={"csrf_token": csrf_token(client, path)})

    page = client.get(_at_provider(authorize)).get_data(as_text=True)

    assert "Test sign-in: Partner SSO" in page and "A new account would be created." in page
    assert "jordan@partners.example" in page and "partner-0001" in page
    assert _people(db, tenant, "jordan@%") == []
    with as_tenant(tenant):
        assert db.session.scalars(select(UserIdentity)).all() == []
    assert client.get("/admin/sign-in").status_code == 200  # still the admin, not Jordan

    with as_tenant(tenant):
        identity_services.update_provider(db.session.get(IdentityProvider, provider_id), enabled=False)
        db.session.commit()
    authorize = _to_provider(client, f"{path}/test", data={"csrf_token": csrf_token(client, path)})
    page = client.get(_at_provider(authorize)).get_data(as_text=True)
    assert "Test sign-in: Partner SSO" in page and "This way of signing in is switched off" in page
    assert _people(db, tenant, "jordan@%") == []


def test_another_portals_provider_settings_are_not_found(
    db, tenant_factory, user_factory, client_for, provider, allowed
):
    _theirs, their_provider_id = _portal(db, tenant_factory, provider)
    ours = tenant_factory()
    client = client_for(ours, user_factory(ours, roles=("tenant_admin",)))

    assert client.get(f"/admin/sign-in/oidc/{their_provider_id}").status_code == 404


def test_admin_adds_and_edits_the_connection_from_the_sign_in_page(
    db, tenant_factory, user_factory, client_for, provider, allowed
):
    tenant, provider_id = _portal(db, tenant_factory, provider)
    client = client_for(tenant, user_factory(tenant, roles=("tenant_admin",)))
    admin_page = client.get("/admin/sign-in").get_data(as_text=True)
    assert "Add OpenID Connect" in admin_page and "Partner SSO" in admin_page
    path = f"/admin/sign-in/oidc/{provider_id}"
    page = client.get(path).get_data(as_text=True)
    assert f"http://{tenant.slug}.{TEST_DOMAIN}/sso/oidc/callback" in page
    assert "A secret is saved (encrypted)" in page and demo.DEMO_CLIENT_SECRET not in page

    bad = client.post(
        path,
        data={
            "csrf_token": csrf_token(client, path),
            "preset": "custom",
            "discovery_url": "",
            "issuer": provider.issuer,
            "authorization_endpoint": f"{provider.issuer}/authorize",
            "token_endpoint": "",
            "jwks_uri": f"{provider.issuer}/jwks",
            "client_id": demo.DEMO_CLIENT_ID,
            "scopes": "email profile",
        },
    )
    assert bad.status_code == 422
    assert "Enter the discovery URL, or every endpoint" in bad.get_data(as_text=True)

    saved = client.post(
        path,
        data={
            "csrf_token": csrf_token(client, path),
            "preset": "custom",
            "issuer": provider.issuer,
            "authorization_endpoint": f"{provider.issuer}/authorize",
            "token_endpoint": f"{provider.issuer}/token",
            "jwks_uri": f"{provider.issuer}/jwks",
            "client_id": demo.DEMO_CLIENT_ID,
            "scopes": "email profile groups",
        },
    )
    assert saved.status_code == 302
    with as_tenant(tenant):
        db.session.expire_all()
        changed = db.session.get(IdentityProvider, provider_id)
        assert changed.settings["scopes"] == "openid email profile groups"
        assert changed.secret_sealed is not None  # an empty secret field keeps the saved one
    assert _sign_in(client_for(tenant)).status_code == 302
    listed = client.get("/admin/sign-in")  # now with a last sign-in to show
    assert listed.status_code == 200 and "—" in listed.get_data(as_text=True)


def test_the_demo_partner_sso_matches_the_demo_provider(db, tenant_factory):
    from app.identity import services as identity
    from app.identity.oidc.demo import partner_sso

    provider = demo.DemoProvider("http://127.0.0.1:8090", [])
    with as_tenant(tenant_factory()):
        sso = partner_sso()
        assert partner_sso().id == sso.id  # loading the demo again adds nothing
        discovered = provider.discovery()
        for name in ("issuer", "authorization_endpoint", "token_endpoint", "jwks_uri", "userinfo_endpoint"):
            assert sso.settings[name] == discovered[name]
        assert sso.settings["client_id"] == demo.DEMO_CLIENT_ID
        assert identity.get_secret(sso) == demo.DEMO_CLIENT_SECRET
        assert (sso.domains, sso.sso_only) == (["partners.example"], False)


def test_a_local_account_in_the_providers_domain_can_still_use_its_password(
    db, tenant_factory, user_factory, client_for, provider, allowed
):
    tenant, provider_id = _portal(db, tenant_factory, provider)
    user_factory(tenant, "admin@partners.example", roles=("tenant_admin",))
    client = client_for(tenant)
    token = csrf_token(client, "/sign-in")
    routed = client.post("/sign-in", data={"csrf_token": token, "email": "admin@partners.example"})
    assert _routed_to(routed) == "/sso/partner-sso"  # home-realm discovery
    assert "Sign in with a password instead" in client.get("/sign-in").get_data(as_text=True)

    token = csrf_token(client, "/sign-in?local=1")
    signed_in = client.post(
        "/sign-in?local=1",
        data={"csrf_token": token, "email": "admin@partners.example", "password": PASSWORD},
    )
    assert signed_in.status_code == 302 and signed_in.headers["Location"] == "/"

    with as_tenant(tenant):
        identity_services.update_provider(db.session.get(IdentityProvider, provider_id), sso_only=True)
        db.session.commit()
    other = client_for(tenant)
    token = csrf_token(other, "/sign-in?local=1")
    refused = other.post(
        "/sign-in?local=1",
        data={"csrf_token": token, "email": "admin@partners.example", "password": PASSWORD},
    )
    assert _routed_to(refused) == "/sso/partner-sso"  # only way in, not break-glass


def _routed_to(response: Any) -> str:
    """Where the sign-in page sent the person on (a page that moves on by itself, see continue_to)."""
    return continued_to(response).split("?", 1)[0]


def test_google_id_tokens_may_name_the_issuer_without_its_scheme(app):
    from app.identity.oidc import protocol

    google = IdentityProvider(
        settings={
            "issuer": "https://accounts.google.com",
            "issuer_aliases": ["accounts.google.com"],
            "client_id": "atrium.apps.googleusercontent.com",
            "hosted_domain": "partners.example",
        }
    )
    now = int(time.time())
    claims = {
        "iss": "accounts.google.com",
        "aud": "atrium.apps.googleusercontent.com",
        "sub": "1234567890",
        "iat": now,
        "exp": now + 300,
        "nonce": "n",
        "hd": "partners.example",
    }
    protocol.check_claims(google, claims, nonce="n")  # accepted
    with pytest.raises(protocol.OidcRefused, match="hosted_domain"):
        protocol.check_claims(google, {**claims, "hd": "elsewhere.example"}, nonce="n")
    with pytest.raises(protocol.OidcRefused, match="id_token_issuer"):
        protocol.check_claims(
            google, {**claims, "iss": "https://accounts.google.com.evil.example"}, nonce="n"
        )


def test_key_sets_are_shared_through_redis_and_fetched_when_it_is_down(
    app, db, tenant_factory, provider, allowed, monkeypatch
):
    from redis import Redis

    from app.identity.oidc import protocol

    redis_url = "redis://127.0.0.1:6379/12"  # this feature's own Redis database
    try:
        Redis.from_url(redis_url, socket_connect_timeout=1).ping()
    except Exception:
        pytest.skip("no Redis at 127.0.0.1:6379")
    tenant, provider_id = _portal(db, tenant_factory, provider)
    with as_tenant(tenant):
        sso = db.session.get(IdentityProvider, provider_id)
        monkeypatch.setitem(app.config, "REDIS_URL", redis_url)
        protocol.forget_keys(sso)
        before = provider.jwks_requests
        protocol.provider_keys(sso)
        protocol._jwks_cache.clear()  # another web process: nothing cached in it
        protocol.provider_keys(sso)
        assert provider.jwks_requests == before + 1

        monkeypatch.setitem(app.config, "REDIS_URL", "redis://127.0.0.1:9139/0")  # nobody listens
        protocol._jwks_cache.clear()
        assert protocol.provider_keys(sso)["keys"]
        assert provider.jwks_requests == before + 2
        monkeypatch.setitem(app.config, "REDIS_URL", redis_url)
        protocol.forget_keys(sso)


def test_a_provider_switched_off_mid_sign_in_lets_nobody_in(
    db, tenant_factory, client_for, provider, allowed
):
    tenant, provider_id = _portal(db, tenant_factory, provider)
    client = client_for(tenant)
    callback = _at_provider(_to_provider(client))
    with as_tenant(tenant):
        identity_services.update_provider(db.session.get(IdentityProvider, provider_id), enabled=False)
        db.session.commit()

    response = client.get(callback)

    assert response.status_code == 403
    assert "This way of signing in is switched off" in response.get_data(as_text=True)
    assert _people(db, tenant, "jordan@%") == []


def test_the_guard_checks_every_request_at_sign_in_too(
    app, db, tenant_factory, client_for, provider, allowed, monkeypatch
):
    tenant, provider_id = _portal(db, tenant_factory, provider)
    client = client_for(tenant)
    callback = _at_provider(_to_provider(client))
    monkeypatch.setitem(app.config, "OUTBOUND_ALLOWED_HOSTS", "")  # the operator takes the allowance back

    response = client.get(callback)

    assert response.status_code == 403
    assert _failure(db, tenant, provider_id) == "unreachable"
    assert _people(db, tenant, "jordan@%") == []
