"""SAML sign-in against a real pysaml2 identity provider: each portal its own service provider."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from saml2 import BINDING_HTTP_REDIRECT
from sqlalchemy import select

from app.accounts.models import User
from app.identity.models import IdentityProvider, UserIdentity
from app.tenancy import as_tenant
from tests.conftest import continued_to
from tests.identity.saml_idp import LocalIdP, authn_response, redirect_request


@pytest.fixture(scope="module")
def idp() -> LocalIdP:
    return LocalIdP()


def add_provider(tenant: Any, idp: LocalIdP, **settings: Any) -> int:
    from app.extensions import db
    from app.identity.saml import idp_metadata
    from app.identity.saml import services as saml_services

    with as_tenant(tenant):
        parsed = idp_metadata.parse(idp.metadata())
        provider = saml_services.add_provider("Acme SSO", ["acme.example"], parsed, None)
        provider.settings = {**provider.settings, **settings}
        db.session.commit()
        return provider.id


class Portal:
    """A tenant with a SAML provider, a browser on its portal, and the IdP trusting its SP metadata."""

    def __init__(self, tenant: Any, client: Any, idp: LocalIdP, provider_id: int) -> None:
        self.tenant, self.client, self.idp, self.provider_id = tenant, client, idp, provider_id
        self.host = client.host
        self.sp_metadata = client.get("/sso/saml/metadata").get_data(as_text=True)
        self.server = idp.server_for(self.sp_metadata)
        self.entity_id = f"http://{self.host}/sso/saml/metadata"
        self.acs = f"http://{self.host}/sso/saml/acs"

    def start(self, path: str = "/sso/acme-sso") -> tuple[str, str | None]:
        """Click "Sign in with Acme SSO": the request id the IdP receives and the RelayState."""
        response = self.client.get(path)
        assert response.status_code == 302, response.get_data(as_text=True)
        saml_request, relay = redirect_request(response.headers["Location"])
        parsed = self.server.parse_authn_request(saml_request, BINDING_HTTP_REDIRECT)
        return parsed.message.id, relay

    def answer(self, in_response_to: str | None, **kwargs: Any) -> str:
        kwargs.setdefault("sp_entity_id", self.entity_id)
        kwargs.setdefault("acs", self.acs)
        return authn_response(self.server, in_response_to=in_response_to, **kwargs)

    def post(self, saml_response: str, relay: str | None) -> Any:
        data = {"SAMLResponse": saml_response}
        if relay is not None:
            data["RelayState"] = relay
        return self.client.post("/sso/saml/acs", data=data)


@pytest.fixture
def portal(tenant_factory, client_for, idp) -> Portal:
    tenant = tenant_factory()
    provider_id = add_provider(tenant, idp)
    return Portal(tenant, client_for(tenant), idp, provider_id)


def person(tenant: Any, email: str) -> User | None:
    from app.extensions import db

    with as_tenant(tenant):
        return db.session.scalars(select(User).where(User.email == email)).first()


def test_a_new_employee_signs_in_and_gets_an_account(db, portal):
    request_id, relay = portal.start()
    response = portal.post(portal.answer(request_id), relay)
    assert response.status_code == 302, response.get_data(as_text=True)
    home = portal.client.get(response.headers["Location"], follow_redirects=True)
    assert home.status_code == 200
    user = person(portal.tenant, "jo.doe@acme.example")
    assert user is not None and user.full_name == "Jo Doe"
    with as_tenant(portal.tenant):
        identity = db.session.scalars(select(UserIdentity).where(UserIdentity.user_id == user.id)).one()
        assert identity.subject == "emp-1001"


def failure_reason(db: Any, tenant: Any, provider_id: int) -> str | None:
    with as_tenant(tenant):
        provider = db.session.get(IdentityProvider, provider_id)
        db.session.refresh(provider)
        return provider.last_failure_reason


def test_an_existing_account_is_linked_not_duplicated(db, portal, user_factory):
    existing = user_factory(portal.tenant, "jo.doe@acme.example", full_name="Jo Doe")
    request_id, relay = portal.start()
    assert portal.post(portal.answer(request_id), relay).status_code == 302
    with as_tenant(portal.tenant):
        identity = db.session.scalars(select(UserIdentity)).one()
        assert identity.user_id == existing.id
        assert db.session.scalars(select(User).where(User.email == "jo.doe@acme.example")).all() == [
            db.session.get(User, existing.id)
        ]


def test_a_tampered_response_is_refused(db, portal):
    request_id, relay = portal.start()
    xml = base64.b64decode(portal.answer(request_id)).decode()
    assert ">Jo<" in xml
    tampered = base64.b64encode(xml.replace(">Jo<", ">Admin<").encode()).decode()
    response = portal.post(tampered, relay)
    assert response.status_code == 403
    assert "Signing in did not work" in response.get_data(as_text=True)
    assert person(portal.tenant, "jo.doe@acme.example") is None
    assert failure_reason(db, portal.tenant, portal.provider_id) == "saml_bad_signature"


def test_an_unsigned_response_is_refused(db, portal):
    request_id, relay = portal.start()
    response = portal.post(portal.answer(request_id, sign_response=False, sign_assertion=False), relay)
    assert response.status_code == 403
    assert person(portal.tenant, "jo.doe@acme.example") is None
    assert failure_reason(db, portal.tenant, portal.provider_id) == "saml_unsigned"


def test_a_signed_response_without_a_signed_assertion_is_refused_when_assertions_must_be_signed(db, portal):
    with as_tenant(portal.tenant):
        provider = db.session.get(IdentityProvider, portal.provider_id)
        provider.settings = {**provider.settings, "want_assertions_signed": True}
        db.session.commit()
    request_id, relay = portal.start()
    response = portal.post(portal.answer(request_id, sign_response=True, sign_assertion=False), relay)
    assert response.status_code == 403
    assert person(portal.tenant, "jo.doe@acme.example") is None


def test_an_assertion_for_another_portal_of_the_same_idp_is_refused(db, portal, tenant_factory, client_for):
    """Two portals trust the same identity provider: one's assertion does not open the other."""
    neighbour = tenant_factory()
    add_provider(neighbour, portal.idp)
    neighbour_client = client_for(neighbour)
    neighbour_metadata = neighbour_client.get("/sso/saml/metadata").get_data(as_text=True)
    server = portal.idp.server_for(portal.sp_metadata, neighbour_metadata)
    request_id, relay = portal.start()
    answer = authn_response(
        server,
        in_response_to=request_id,
        sp_entity_id=f"http://{neighbour_client.host}/sso/saml/metadata",
        acs=portal.acs,
    )
    response = portal.post(answer, relay)
    assert response.status_code == 403
    assert person(portal.tenant, "jo.doe@acme.example") is None
    assert failure_reason(db, portal.tenant, portal.provider_id) == "saml_wrong_audience"


def test_an_expired_assertion_is_refused(db, portal):
    request_id, relay = portal.start()
    portal.idp.lifetime_minutes = -10
    try:
        expired_server = portal.idp.server_for(portal.sp_metadata)
    finally:
        portal.idp.lifetime_minutes = 15

    answer = authn_response(
        expired_server, in_response_to=request_id, sp_entity_id=portal.entity_id, acs=portal.acs
    )
    response = portal.post(answer, relay)
    assert response.status_code == 403
    assert person(portal.tenant, "jo.doe@acme.example") is None
    assert failure_reason(db, portal.tenant, portal.provider_id) == "saml_expired"


def test_a_replayed_assertion_is_refused(db, portal, client_for):
    request_id, relay = portal.start()
    answer = portal.answer(request_id)
    assert portal.post(answer, relay).status_code == 302
    attacker = client_for(portal.tenant)
    response = attacker.post("/sso/saml/acs", data={"SAMLResponse": answer, "RelayState": relay})
    assert response.status_code == 403
    assert attacker.get("/sign-in").status_code == 200  # not signed in: the sign-in page, no redirect


def test_a_replay_without_relay_state_is_refused_too(db, portal, client_for):
    request_id, relay = portal.start()
    answer = portal.answer(request_id)
    assert portal.post(answer, relay).status_code == 302
    response = client_for(portal.tenant).post("/sso/saml/acs", data={"SAMLResponse": answer})
    assert response.status_code == 403


def test_an_answer_to_another_request_is_refused(db, portal):
    _request_id, relay = portal.start()
    response = portal.post(portal.answer("_not-the-request-we-sent"), relay)
    assert response.status_code == 403
    assert person(portal.tenant, "jo.doe@acme.example") is None
    assert failure_reason(db, portal.tenant, portal.provider_id) == "saml_in_response_to_mismatch"


def test_another_portals_identity_provider_is_not_trusted_here(db, portal, tenant_factory, client_for):
    other_idp = LocalIdP("https://other-idp.test")
    other_tenant = tenant_factory()
    other_provider_id = add_provider(other_tenant, other_idp)
    with as_tenant(other_tenant):
        provider = db.session.get(IdentityProvider, other_provider_id)
        provider.name = "Globex Secret SSO"
        db.session.commit()
    other = Portal(other_tenant, client_for(other_tenant), other_idp, other_provider_id)
    request_id, relay = other.start()
    answer = other.answer(request_id)
    response = portal.post(answer, None)
    assert response.status_code == 403
    page = response.get_data(as_text=True)
    assert "Globex" not in page and other_tenant.slug not in page
    assert person(portal.tenant, "jo.doe@acme.example") is None
    assert failure_reason(db, other_tenant, other_provider_id) is None
    # Its RelayState is bound to the other portal too.
    assert portal.post(portal.answer(None), relay).status_code == 400


def test_idp_initiated_sign_in_is_refused_unless_allowed(db, portal):
    response = portal.post(portal.answer(None), None)
    assert response.status_code == 403
    assert "Start signing in from this portal" in response.get_data(as_text=True)
    assert failure_reason(db, portal.tenant, portal.provider_id) == "saml_unsolicited"
    with as_tenant(portal.tenant):
        provider = db.session.get(IdentityProvider, portal.provider_id)
        provider.settings = {**provider.settings, "idp_initiated": True}
        db.session.commit()
    assert portal.post(portal.answer(None), None).status_code == 302
    assert person(portal.tenant, "jo.doe@acme.example") is not None


def test_an_encrypted_assertion_is_decrypted_with_the_portals_key(db, portal):
    from app.identity.saml.models import SamlKey

    with as_tenant(portal.tenant):
        certificate = db.session.scalars(select(SamlKey)).one().certificate_pem
    request_id, relay = portal.start()
    answer = portal.answer(request_id, encrypt=True, sp_cert_pem=certificate)
    assert b"EncryptedAssertion" in base64.b64decode(answer)
    response = portal.post(answer, relay)
    assert response.status_code == 302, response.get_data(as_text=True)
    assert person(portal.tenant, "jo.doe@acme.example") is not None


def test_a_deactivated_person_is_not_let_in(db, portal, user_factory):
    from app.accounts.services.users import deactivate_user

    user = user_factory(portal.tenant, "jo.doe@acme.example")
    with as_tenant(portal.tenant):
        deactivate_user(db.session.get(User, user.id))
        db.session.commit()
    request_id, relay = portal.start()
    response = portal.post(portal.answer(request_id), relay)
    assert response.status_code == 403
    assert "deactivated" in response.get_data(as_text=True)
    assert failure_reason(db, portal.tenant, portal.provider_id) == "deactivated"


def _admin_client(tenant: Any, user_factory: Any, client_for: Any) -> Any:
    admin = user_factory(tenant, roles=("tenant_admin",))
    return client_for(tenant, admin)


def _verify_signed_metadata(document: str, tmp_path: Any) -> None:
    """xmlsec1 itself checks the enveloped signature against the certificate in the document."""
    import re
    import subprocess

    certificate = re.search(r"<(?:\w+:)?X509Certificate>([^<]+)</(?:\w+:)?X509Certificate>", document)
    assert certificate, document[:500]
    body = "".join(certificate.group(1).split())
    pem = "-----BEGIN CERTIFICATE-----\n" + "\n".join(body[i : i + 64] for i in range(0, len(body), 64))
    (tmp_path / "sp.crt").write_text(pem + "\n-----END CERTIFICATE-----\n")
    (tmp_path / "md.xml").write_text(document)
    result = subprocess.run(
        [
            "xmlsec1",
            "--verify",
            "--pubkey-cert-pem",
            str(tmp_path / "sp.crt"),
            "--id-attr:ID",
            "urn:oasis:names:tc:SAML:2.0:metadata:EntityDescriptor",
            str(tmp_path / "md.xml"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr


def test_the_portals_metadata_is_signed_and_names_its_own_addresses(db, portal, tmp_path):
    response = portal.client.get("/sso/saml/metadata")
    assert response.mimetype == "application/samlmetadata+xml"
    document = response.get_data(as_text=True)
    assert f'entityID="{portal.entity_id}"' in document
    assert f'Location="{portal.acs}"' in document
    assert 'AuthnRequestsSigned="true"' in document
    _verify_signed_metadata(document, tmp_path)
    tampered = document.replace(portal.acs, "https://evil.example/acs")
    (tmp_path / "tampered.xml").write_text(tampered)
    import subprocess

    assert (
        subprocess.run(
            [
                "xmlsec1",
                "--verify",
                "--pubkey-cert-pem",
                str(tmp_path / "sp.crt"),
                "--id-attr:ID",
                "urn:oasis:names:tc:SAML:2.0:metadata:EntityDescriptor",
                str(tmp_path / "tampered.xml"),
            ],
            capture_output=True,
            check=False,
        ).returncode
        != 0
    )


def test_a_new_key_is_current_and_the_old_one_stays_in_the_metadata(
    db, portal, user_factory, client_for, tmp_path
):
    from app.audit.models import AuditEvent
    from app.identity.saml.models import SamlKey
    from tests.conftest import csrf_token

    with as_tenant(portal.tenant):
        old = db.session.scalars(select(SamlKey)).one().certificate_pem
    admin = _admin_client(portal.tenant, user_factory, client_for)
    page = f"/admin/sign-in/providers/{portal.provider_id}/saml"
    response = admin.post(
        "/admin/sign-in/saml/rotate-key",
        data={"csrf_token": csrf_token(admin, page), "provider_id": portal.provider_id},
    )
    assert response.status_code == 302
    with as_tenant(portal.tenant):
        keys = db.session.scalars(select(SamlKey).order_by(SamlKey.id)).all()
        assert len(keys) == 2 and keys[0].retired_at is not None and keys[1].retired_at is None
        new = keys[1].certificate_pem
        assert db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "identity.saml_key_rotated")
        ).first()
    document = admin.get("/sso/saml/metadata").get_data(as_text=True)

    def body(pem: str) -> str:
        return "".join(line for line in pem.splitlines() if "CERTIFICATE" not in line)

    flat = "".join(document.split())
    assert body(old) in flat and body(new) in flat
    # A sign-in still works, requests now signed with the new key.
    request_id, relay = portal.start()
    assert portal.post(portal.answer(request_id), relay).status_code == 302


def test_an_admin_adds_a_saml_provider_by_pasting_metadata(db, tenant_factory, user_factory, client_for, idp):
    from tests.conftest import csrf_token

    tenant = tenant_factory()
    admin = _admin_client(tenant, user_factory, client_for)
    token = csrf_token(admin, "/admin/sign-in/saml/new")
    bad = admin.post(
        "/admin/sign-in/saml/new",
        data={"csrf_token": token, "name": "Acme SSO", "domains": "acme.example", "metadata_xml": "<nope/>"},
    )
    assert bad.status_code == 422
    page = bad.get_data(as_text=True)
    assert "This is not SAML metadata" in page and "&lt;nope/&gt;" in page and 'value="Acme SSO"' in page
    with as_tenant(tenant):
        assert db.session.scalars(select(IdentityProvider)).first() is None
    response = admin.post(
        "/admin/sign-in/saml/new",
        data={
            "csrf_token": token,
            "name": "Acme SSO",
            "domains": "acme.example",
            "metadata_xml": idp.metadata(),
        },
    )
    assert response.status_code == 302
    settings_page = admin.get(response.headers["Location"]).get_data(as_text=True)
    assert idp.entity_id in settings_page
    assert f"http://{admin.host}/sso/saml/acs" in settings_page
    assert admin.get("/sign-in?local=1").status_code == 302  # signed in: sent on
    sign_in_page = client_for(tenant).get("/sign-in?local=1").get_data(as_text=True)
    assert "Sign in with Acme SSO" in sign_in_page
    assert 'name="password"' in sign_in_page  # ?local=1: the password form at once, for local accounts


def test_a_metadata_address_on_this_machine_is_refused_unless_allowed(
    db, app, tenant_factory, user_factory, client_for, idp
):
    from pytest_httpserver import HTTPServer

    from app.identity.saml.jobs import refresh_metadata
    from app.identity.saml.services import SYNC_JOB
    from app.jobs import JobOutbox
    from tests.conftest import csrf_token

    server = HTTPServer(host="127.0.0.1", port=0)
    server.expect_request("/metadata").respond_with_data(idp.metadata(), content_type="application/xml")
    server.start()
    try:
        tenant = tenant_factory()
        admin = _admin_client(tenant, user_factory, client_for)
        token = csrf_token(admin, "/admin/sign-in/saml/new")
        response = admin.post(
            "/admin/sign-in/saml/new",
            data={"csrf_token": token, "name": "Acme SSO", "metadata_url": server.url_for("/metadata")},
        )
        assert response.status_code == 302
        with as_tenant(tenant):
            provider = db.session.scalars(select(IdentityProvider)).one()
            if app.config.get("REDIS_URL"):  # a job on the sync queue reads it
                job = db.session.scalars(select(JobOutbox).where(JobOutbox.function == SYNC_JOB)).one()
                assert job.queue == "sync" and job.args == [provider.id]
                assert refresh_metadata(provider.id) is False
                db.session.commit()
            db.session.refresh(provider)
            assert "private or local address" in provider.settings["metadata_error"]
            assert "idp_entity_id" not in provider.settings
        assert server.log == []  # never asked
        assert "Reading its metadata failed" in admin.get("/admin/sign-in").get_data(as_text=True)
        app.config["OUTBOUND_ALLOWED_HOSTS"] = "127.0.0.1"
        try:
            with as_tenant(tenant):
                assert refresh_metadata(provider.id) is True
                db.session.commit()
        finally:
            app.config["OUTBOUND_ALLOWED_HOSTS"] = ""
        with as_tenant(tenant):
            provider = db.session.get(IdentityProvider, provider.id)
            db.session.refresh(provider)
            assert provider.settings["idp_entity_id"] == idp.entity_id
            assert "metadata_error" not in provider.settings
        assert len(server.log) == 1
        settings_page = admin.get(f"/admin/sign-in/providers/{provider.id}/saml").get_data(as_text=True)
        assert idp.entity_id in settings_page and "Read the metadata again now" in settings_page
    finally:
        server.clear()
        server.stop()


def test_test_sign_in_shows_what_the_idp_sent_and_saves_nothing(db, portal, user_factory, client_for):
    from tests.conftest import csrf_token

    admin_user = user_factory(portal.tenant, roles=("tenant_admin",))
    admin = client_for(portal.tenant, admin_user)
    page = f"/admin/sign-in/providers/{portal.provider_id}"
    response = admin.post(f"{page}/test", data={"csrf_token": csrf_token(admin, page)})
    # The form's answer moves on to the IdP by itself (it cannot redirect to another site).
    saml_request, relay = redirect_request(continued_to(response))
    request_id = portal.server.parse_authn_request(saml_request, BINDING_HTTP_REDIRECT).message.id
    # The answer arrives in a browser without the admin's session cookie (a cross-site POST).
    result = client_for(portal.tenant).post(
        "/sso/saml/acs", data={"SAMLResponse": portal.answer(request_id), "RelayState": relay}
    )
    assert result.status_code == 200
    text = result.get_data(as_text=True)
    assert "Test sign-in" in text and "jo.doe@acme.example" in text and "emp-1001" in text
    assert "A new account would be created" in text
    assert person(portal.tenant, "jo.doe@acme.example") is None
    with as_tenant(portal.tenant):
        assert db.session.scalars(select(UserIdentity)).first() is None


def _signed_in(portal: Portal) -> None:
    request_id, relay = portal.start()
    assert portal.post(portal.answer(request_id), relay).status_code == 302


def test_signing_out_also_signs_out_at_the_identity_provider(db, portal):
    import re

    _signed_in(portal)
    page = portal.client.get("/", follow_redirects=True).get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page) or re.search(
        r'name="csrf_token" type="hidden" value="([^"]+)"', page
    )
    assert token
    forged = portal.client.post("/sign-out", data={})  # another site's form: no CSRF token
    assert forged.status_code == 400
    response = portal.client.post("/sign-out", data={"csrf_token": token.group(1)})
    location = continued_to(response)  # the sign-out form's answer moves on to the provider by itself
    assert location.startswith(f"{portal.idp.base}/slo?SAMLRequest=")
    assert "Signature=" in location
    request = portal.server.parse_logout_request(redirect_request(location)[0], BINDING_HTTP_REDIRECT)
    assert request.message.name_id.text == "emp-1001"
    assert request.message.session_index  # the IdP's session it should end
    # Signed out here as well.
    assert portal.client.get("/sign-in").status_code == 200


def test_a_logout_request_from_the_identity_provider_ends_the_persons_sessions(db, portal, client_for):
    from saml2.saml import NAMEID_FORMAT_PERSISTENT, NameID

    _signed_in(portal)
    assert portal.client.get("/sign-in").status_code == 302  # signed in
    _id, request = portal.server.create_logout_request(
        f"http://{portal.host}/sso/saml/slo",
        portal.entity_id,
        name_id=NameID(format=NAMEID_FORMAT_PERSISTENT, text="emp-1001"),
        sign=False,
    )
    info = portal.server.apply_binding(
        BINDING_HTTP_REDIRECT, str(request), f"http://{portal.host}/sso/saml/slo", "", sign=True
    )
    location = dict(info["headers"])["Location"]
    # It may arrive through another browser (or a back channel): every session of the person ends.
    response = client_for(portal.tenant).get(location.replace(f"http://{portal.host}", ""))
    assert response.status_code == 302
    assert response.headers["Location"].startswith(f"{portal.idp.base}/slo?SAMLResponse=")
    assert portal.client.get("/sign-in").status_code == 200  # the session is over


def test_an_unsigned_logout_request_is_refused(db, portal):
    from saml2.saml import NAMEID_FORMAT_PERSISTENT, NameID

    _signed_in(portal)
    _id, request = portal.server.create_logout_request(
        f"http://{portal.host}/sso/saml/slo",
        portal.entity_id,
        name_id=NameID(format=NAMEID_FORMAT_PERSISTENT, text="emp-1001"),
        sign=False,
    )
    info = portal.server.apply_binding(
        BINDING_HTTP_REDIRECT, str(request), f"http://{portal.host}/sso/saml/slo", "", sign=False
    )
    location = dict(info["headers"])["Location"]
    response = portal.client.get(location.replace(f"http://{portal.host}", ""))
    assert response.status_code == 400
    assert portal.client.get("/sign-in").status_code == 302  # still signed in


def test_the_demo_acme_sso_lets_a_new_hire_in_enrolled_by_the_new_hire_rule(
    db, app, tenant_factory, client_for
):
    from pathlib import Path

    from saml2.saml import NAMEID_FORMAT_PERSISTENT, NameID

    from app.accounts import services as accounts
    from app.identity.saml import demo as saml_demo
    from app.identity.saml import demo_idp
    from app.learning import demo as learning_demo
    from app.learning.models import Course, Enrollment

    tenant = tenant_factory()
    with as_tenant(tenant):
        new_hires = accounts.create_group("New hires 2026", "Everyone who joined this year")
        db.session.flush()
        learning_demo.onboarding("Acme")
        learning_demo.new_hire_rule("Acme", new_hires)
        saml_demo.acme_sso(new_hires)
        db.session.commit()
    client = client_for(tenant)
    assert "Sign in with Acme SSO" in client.get("/sign-in").get_data(as_text=True)
    sp_metadata = client.get("/sso/saml/metadata").get_data(as_text=True)
    server = demo_idp.server(Path(app.instance_path) / "demo-saml-idp", demo_idp.base_url(), [sp_metadata])
    response = client.get("/sso/acme-sso")
    saml_request, relay = redirect_request(response.headers["Location"])
    request_id = server.parse_authn_request(saml_request, BINDING_HTTP_REDIRECT).message.id
    answer = server.create_authn_response(
        demo_idp.EMPLOYEES["jo.doe"],
        request_id,
        f"http://{client.host}/sso/saml/acs",
        f"http://{client.host}/sso/saml/metadata",
        name_id=NameID(format=NAMEID_FORMAT_PERSISTENT, text="acme-jo.doe"),
        authn={"class_ref": "urn:oasis:names:tc:SAML:2.0:ac:classes:Password"},
        sign_response=True,
        sign_assertion=True,
    )
    posted = client.post(
        "/sso/saml/acs",
        data={"SAMLResponse": base64.b64encode(str(answer).encode()).decode(), "RelayState": relay},
    )
    assert posted.status_code == 302, posted.get_data(as_text=True)
    user = person(tenant, "jo.doe@acme.example")
    assert user is not None
    with as_tenant(tenant):
        course = db.session.scalars(select(Course).where(Course.title == "Welcome to Acme")).one()
        assert db.session.scalars(
            select(Enrollment).where(Enrollment.user_id == user.id, Enrollment.course_id == course.id)
        ).first()
    assert "Welcome to Acme" in client.get("/", follow_redirects=True).get_data(as_text=True)


def test_an_idp_certificate_expiring_within_30_days_is_flagged_on_the_sign_in_page(
    db, portal, user_factory, client_for
):
    from datetime import timedelta

    from app.tenancy.models import utcnow

    admin = _admin_client(portal.tenant, user_factory, client_for)
    assert "signing certificate expires" not in admin.get("/admin/sign-in").get_data(as_text=True)
    with as_tenant(portal.tenant):
        provider = db.session.get(IdentityProvider, portal.provider_id)
        soon = (utcnow() + timedelta(days=10, hours=1)).isoformat()
        provider.settings = {**provider.settings, "certs_expire_at": soon}
        db.session.commit()
    page = admin.get("/admin/sign-in").get_data(as_text=True)
    assert "Its signing certificate expires in 10 days: update its metadata before then." in page
    settings = admin.get(f"/admin/sign-in/providers/{portal.provider_id}/saml").get_data(as_text=True)
    assert "Its signing certificate expires in 10 days" in settings


def test_an_idp_that_takes_requests_by_post_gets_a_signed_request_through_a_form(
    db, tenant_factory, client_for
):
    import html
    import re

    from saml2 import BINDING_HTTP_POST

    post_idp = LocalIdP("https://post-idp.test", sso_binding=BINDING_HTTP_POST)
    tenant = tenant_factory()
    add_provider(tenant, post_idp)
    client = client_for(tenant)
    page = client.get("/sso/acme-sso")
    assert page.status_code == 200
    assert "form-action 'self' https://post-idp.test" in page.headers["Content-Security-Policy"]
    text = page.get_data(as_text=True)
    assert 'action="https://post-idp.test/sso"' in text and "Continue" in text
    saml_request = html.unescape(re.search(r'name="SAMLRequest" value="([^"]+)"', text).group(1))
    assert b"SignatureValue" in base64.b64decode(saml_request)


def test_an_admin_adds_a_saml_provider_by_uploading_its_metadata_file(
    db, tenant_factory, user_factory, client_for, idp
):
    import io

    from tests.conftest import csrf_token

    tenant = tenant_factory()
    admin = _admin_client(tenant, user_factory, client_for)
    response = admin.post(
        "/admin/sign-in/saml/new",
        data={
            "csrf_token": csrf_token(admin, "/admin/sign-in/saml/new"),
            "name": "Beta SSO",
            "metadata_file": (io.BytesIO(idp.metadata().encode()), "idp-metadata.xml"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    with as_tenant(tenant):
        provider = db.session.scalars(select(IdentityProvider)).one()
        assert provider.settings["idp_entity_id"] == idp.entity_id
        assert provider.settings["sso_url"] == "https://idp.test/sso"
