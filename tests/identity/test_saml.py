"""SAML sign-in against a real pysaml2 identity provider: each portal its own service provider."""

from __future__ import annotations

from typing import Any

import pytest
from saml2 import BINDING_HTTP_REDIRECT
from sqlalchemy import select

from app.accounts.models import User
from app.identity.models import UserIdentity
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
