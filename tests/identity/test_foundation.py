"""What every way of signing in shares: sealed secrets, the guarded fetch, just-in-time accounts linked
by the provider's subject, and the Sign-in admin page."""

from __future__ import annotations

import base64
import http.server
import os
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from app import outbound, sealing
from app.accounts.models import Group, User
from app.accounts.services import create_group, create_org_unit, deactivate_user
from app.audit.models import AuditEvent
from app.events import OutboxEvent
from app.identity import provisioning
from app.identity import services as identity
from app.identity.models import IdentityProvider, UserIdentity
from app.tenancy import as_tenant
from tests.conftest import csrf_token


def _key() -> str:
    return base64.b64encode(os.urandom(32)).decode()


# Sealed secrets


def test_a_sealed_secret_opens_only_for_its_purpose_and_survives_a_key_rotation(app, db, tenant_factory):
    tenant = tenant_factory()
    old, new = _key(), _key()
    saved = app.config.get("SECRETS_KEYS")
    try:
        app.config["SECRETS_KEYS"] = old
        with as_tenant(tenant):
            provider = identity.create_provider("oidc", "Okta", domains=["example.com"])
            identity.set_secret(provider, "client-secret-1")
            db.session.commit()
            blob = bytes(provider.secret_sealed)
            assert b"client-secret-1" not in blob
            assert identity.get_secret(provider) == "client-secret-1"
            with pytest.raises(sealing.SealingError):
                sealing.unseal(blob, purpose=f"identity-provider:{tenant.id}:{provider.id + 1}")

        # A new key goes first; the old one still opens what it sealed until everything is resealed.
        app.config["SECRETS_KEYS"] = f"{new},{old}"
        with as_tenant(tenant):
            assert identity.get_secret(db.session.get(IdentityProvider, provider.id)) == "client-secret-1"
        result = CliRunner().invoke(
            app.cli, ["secrets", "reseal", "--tenant", tenant.slug], catch_exceptions=False
        )
        assert result.exit_code == 0, result.output
        assert f"{tenant.slug}: 1 secret(s) resealed" in result.output
        again = CliRunner().invoke(
            app.cli, ["secrets", "reseal", "--tenant", tenant.slug], catch_exceptions=False
        )
        assert f"{tenant.slug}:" not in again.output  # nothing left to do

        app.config["SECRETS_KEYS"] = new  # the old key is gone
        with as_tenant(tenant):
            db.session.expire_all()
            assert identity.get_secret(db.session.get(IdentityProvider, provider.id)) == "client-secret-1"
        app.config["SECRETS_KEYS"] = old  # and the new one is needed now
        with as_tenant(tenant), pytest.raises(sealing.SealingError):
            db.session.expire_all()
            identity.get_secret(db.session.get(IdentityProvider, provider.id))
        # Resealing without the key that made a secret names it and fails, changing nothing.
        lost = CliRunner().invoke(app.cli, ["secrets", "reseal", "--tenant", tenant.slug])
        assert lost.exit_code == 1
        assert f"cannot open {tenant.slug}: identity-provider:{tenant.id}:{provider.id}" in lost.output
    finally:
        app.config["SECRETS_KEYS"] = saved


def test_a_badly_configured_key_is_named(app):
    saved = app.config.get("SECRETS_KEYS")
    try:
        app.config["SECRETS_KEYS"] = "not base64!"
        with app.app_context(), pytest.raises(sealing.SealingError, match="entry 1 is not base64"):
            sealing.seal(b"x", purpose="p")
        app.config["SECRETS_KEYS"] = base64.b64encode(b"short").decode()
        with app.app_context(), pytest.raises(sealing.SealingError, match="32 bytes"):
            sealing.seal(b"x", purpose="p")
    finally:
        app.config["SECRETS_KEYS"] = saved


# The guarded fetch


@pytest.fixture(scope="module")
def local_server() -> Iterator[int]:
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path == "/hop":
                self.send_response(302)
                self.send_header("Location", f"http://127.0.0.1:{self.server.server_port}/")
                self.end_headers()
                return
            body = b'{"issuer": "here"}'
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_port
    server.shutdown()
    server.server_close()


def test_the_fetch_refuses_local_addresses_unless_an_operator_allows_them(app, local_server):
    saved = app.config["OUTBOUND_ALLOWED_HOSTS"], app.config["OUTBOUND_ALLOW_PRIVATE"]
    try:
        app.config["OUTBOUND_ALLOWED_HOSTS"], app.config["OUTBOUND_ALLOW_PRIVATE"] = "", False
        with app.app_context():
            with pytest.raises(outbound.OutboundRefused, match="private or local address"):
                outbound.fetch(f"http://127.0.0.1:{local_server}/")
            with pytest.raises(outbound.OutboundRefused, match="private or local address"):
                outbound.fetch(f"http://[::1]:{local_server}/")
            with pytest.raises(outbound.OutboundRefused, match="only http and https"):
                outbound.fetch("file:///etc/passwd")
            app.config["OUTBOUND_ALLOWED_HOSTS"] = "localhost"
            assert outbound.fetch(f"http://localhost:{local_server}/").json() == {"issuer": "here"}
            # A redirect is checked again: localhost is allowed by name, 127.0.0.1 is not.
            with pytest.raises(outbound.OutboundRefused, match=r"127\.0\.0\.1"):
                outbound.fetch(f"http://localhost:{local_server}/hop")
            app.config["OUTBOUND_ALLOWED_HOSTS"] = "127.0.0.0/8"
            assert outbound.fetch(f"http://localhost:{local_server}/hop").status == 200
    finally:
        app.config["OUTBOUND_ALLOWED_HOSTS"], app.config["OUTBOUND_ALLOW_PRIVATE"] = saved


# Just-in-time accounts


@pytest.fixture
def portal(db, tenant_factory) -> Any:
    tenant = tenant_factory()
    with as_tenant(tenant):
        unit = create_org_unit("Lyon store", code="LYO")
        group = create_group("Store managers")
        provider = identity.create_provider("oidc", "Acme SSO", domains=["acme.example"])
        identity.update_provider(
            provider,
            group_map=[
                {"value": "store-managers", "target": f"group:{group.id}"},
                {"value": "lms-admins", "target": "role:tenant_admin"},
            ],
        )
        db.session.commit()
        return {"tenant": tenant, "provider_id": provider.id, "unit_id": unit.id, "group_id": group.id}


def _received(subject: str, email: str, **extra: Any) -> provisioning.Received:
    return provisioning.Received.of(
        subject,
        {
            "email": email,
            "given_name": "Camille",
            "family_name": "Martin",
            "department": "LYO",
            "locale": "fr-FR",
            **extra,
        },
    )


def test_a_new_person_is_created_on_first_sign_in_with_mapped_fields_groups_and_roles(db, portal):
    with as_tenant(portal["tenant"]):
        provider = db.session.get(IdentityProvider, portal["provider_id"])
        received = _received("sub-1", "Camille@Acme.example", groups=["store-managers", "lms-admins"])
        user = provisioning.sign_in_with(provider, received)
        db.session.commit()
        assert (user.email, user.full_name, user.locale) == ("camille@acme.example", "Camille Martin", "fr")
        assert user.org_unit_id == portal["unit_id"]
        assert {r.key for r in user.roles} == {"learner", "tenant_admin"}
        group = db.session.get(Group, portal["group_id"])
        assert [m.user_id for m in group.memberships] == [user.id]
        types = set(db.session.scalars(select(OutboxEvent.type)))
        assert {"user.created", "group.members_added"} <= types  # so enrolment rules run
        actions = set(db.session.scalars(select(AuditEvent.action)))
        assert {"identity.linked", "user.created"} <= actions  # "signed in" is written when a session starts

        # Removed from the provider's groups: out of the group and the role, on the next sign-in.
        provisioning.sign_in_with(provider, _received("sub-1", "camille@acme.example", groups=[]))
        db.session.commit()
        db.session.expire_all()
        assert {r.key for r in db.session.get(User, user.id).roles} == {"learner"}
        assert db.session.get(Group, portal["group_id"]).memberships == []


def test_a_changed_email_at_the_provider_updates_the_same_person(db, portal):
    with as_tenant(portal["tenant"]):
        provider = db.session.get(IdentityProvider, portal["provider_id"])
        first = provisioning.sign_in_with(provider, _received("sub-2", "c.martin@acme.example"))
        db.session.commit()
        again = provisioning.sign_in_with(provider, _received("sub-2", "camille.martin@acme.example"))
        db.session.commit()
        assert again.id == first.id and again.email == "camille.martin@acme.example"
        assert db.session.scalar(select(func.count()).select_from(User)) == 1
        assert db.session.scalar(select(func.count()).select_from(UserIdentity)) == 1


def test_an_existing_account_is_linked_only_inside_the_providers_domains(db, portal, user_factory):
    tenant = portal["tenant"]
    inside = user_factory(tenant, "lea@acme.example")
    outside = user_factory(tenant, "boss@elsewhere.example")
    with as_tenant(tenant):
        provider = db.session.get(IdentityProvider, portal["provider_id"])
        linked = provisioning.sign_in_with(provider, _received("sub-lea", "lea@acme.example"))
        assert linked.id == inside.id
        db.session.commit()
        # A provider cannot take over an account at a domain it does not serve.
        with pytest.raises(provisioning.IdentityRefused) as refused:
            provisioning.sign_in_with(provider, _received("sub-boss", "boss@elsewhere.example"))
        assert refused.value.code == "not_linked"
        db.session.rollback()
        # Nor create one there.
        with pytest.raises(provisioning.IdentityRefused) as refused:
            provisioning.sign_in_with(provider, _received("sub-new", "new@elsewhere.example"))
        assert refused.value.code == "domain"
        db.session.rollback()
        assert db.session.scalars(select(UserIdentity.user_id)).all() == [inside.id]
        assert outside.id not in db.session.scalars(select(UserIdentity.user_id)).all()


def test_a_deactivated_person_is_refused_and_the_failure_is_recorded(db, portal, user_factory):
    tenant = portal["tenant"]
    person = user_factory(tenant, "gone@acme.example")
    with as_tenant(tenant):
        deactivate_user(db.session.merge(person))
        db.session.commit()
        provider = db.session.get(IdentityProvider, portal["provider_id"])
        with pytest.raises(provisioning.IdentityRefused) as refused:
            provisioning.sign_in_with(provider, _received("sub-gone", "gone@acme.example"))
        assert refused.value.code == "deactivated"
        assert "deactivated" in refused.value.message
        provisioning.record_failure(provider, refused.value.code)
        provider = db.session.get(IdentityProvider, portal["provider_id"])
        assert provider.last_failure_reason == "deactivated" and provider.last_failure_at is not None
        assert db.session.scalars(select(UserIdentity)).all() == []


def test_the_test_preview_maps_and_saves_nothing(db, portal):
    with as_tenant(portal["tenant"]):
        provider = db.session.get(IdentityProvider, portal["provider_id"])
        result = provisioning.preview(provider, _received("sub-3", "new@acme.example", manager="nobody@x"))
        assert result.outcome == "create"
        assert result.mapped.fields["full_name"] == "Camille Martin"
        assert any("nobody@x" in w for w in result.mapped.warnings)
        db.session.commit()
        assert db.session.scalar(select(func.count()).select_from(User)) == 0
        assert db.session.scalar(select(func.count()).select_from(UserIdentity)) == 0


# The Sign-in admin page


def test_the_sign_in_page_of_a_portal_without_providers_asks_for_email_and_password(
    db, tenant_factory, client_for
):
    client = client_for(tenant_factory())
    page = client.get("/sign-in").get_data(as_text=True)
    assert 'name="password"' in page and "Or sign in with" not in page


def test_admins_edit_a_provider_and_bad_input_is_named_and_kept(db, portal, user_factory, client_for):
    tenant = portal["tenant"]
    admin = user_factory(tenant, "admin@acme.example", roles=("tenant_admin", "learner"))
    client = client_for(tenant, admin)
    listing = client.get("/admin/sign-in")
    assert listing.status_code == 200 and "Acme SSO" in listing.get_data(as_text=True)

    path = f"/admin/sign-in/providers/{portal['provider_id']}"
    form = {
        "csrf_token": csrf_token(client, path),
        "name": "Acme SSO",
        "slug": "acme",
        "enabled": "y",
        "domains": "acme.example\nacme!example",
        "map_email": "mail",
        "group_rows-0-value": "store-managers",
        "group_rows-0-target": f"group:{portal['group_id']}",
    }
    refused = client.post(path, data=form)
    body = refused.get_data(as_text=True)
    assert refused.status_code == 422
    assert "“acme!example” is not an email domain like example.com." in body
    assert "acme!example</textarea>" in body  # what was typed is kept

    form["domains"] = "acme.example, @ACME.fr"
    assert client.post(path, data=form).status_code == 302
    with as_tenant(tenant):
        provider = db.session.get(IdentityProvider, portal["provider_id"])
        assert provider.domains == ["acme.example", "acme.fr"] and provider.slug == "acme"
        assert provider.attribute_map["email"] == "mail"
        assert provider.group_map == [{"value": "store-managers", "group_id": portal["group_id"]}]
        assert "identity.provider_changed" in db.session.scalars(select(AuditEvent.action)).all()


def test_settings_name_an_unknown_break_glass_account_and_keep_the_input(
    db, portal, user_factory, client_for
):
    tenant = portal["tenant"]
    admin = user_factory(tenant, "admin@acme.example", roles=("tenant_admin", "learner"))
    client = client_for(tenant, admin)
    form = {
        "csrf_token": csrf_token(client, "/admin/sign-in"),
        "default_provider_id": "",
        "break_glass": "admin@acme.example\nghost@acme.example",
        "shared_device_idle_minutes": "5",
    }
    refused = client.post("/admin/sign-in", data=form)
    assert refused.status_code == 422
    body = refused.get_data(as_text=True)
    assert "No active person here has the email ghost@acme.example." in body
    assert "ghost@acme.example</textarea>" in body
    form["break_glass"] = "admin@acme.example"
    form["shared_device_idle_minutes"] = "0"
    assert "Enter between 1 and 60 minutes." in client.post("/admin/sign-in", data=form).get_data(
        as_text=True
    )
    form["shared_device_idle_minutes"] = "5"
    assert client.post("/admin/sign-in", data=form).status_code == 302
    from app.identity.models import SignInSettings

    with as_tenant(tenant):
        settings = db.session.scalars(select(SignInSettings)).one()
        assert settings.break_glass_user_ids == [admin.id] and settings.shared_device_idle_minutes == 5


def test_a_learner_cannot_open_the_sign_in_admin_page(db, portal, user_factory, client_for):
    learner = user_factory(portal["tenant"], "crew@acme.example")
    client = client_for(portal["tenant"], learner)
    assert client.get("/admin/sign-in").status_code == 403
    assert client.get(f"/admin/sign-in/providers/{portal['provider_id']}").status_code == 403
