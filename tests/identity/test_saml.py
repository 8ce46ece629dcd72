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
