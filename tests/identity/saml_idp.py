"""A real pysaml2 identity provider for tests: its own key, metadata, and signed (or not) answers."""

from __future__ import annotations

import base64
import shutil
import tempfile
import warnings
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from cryptography.utils import CryptographyDeprecationWarning
from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT
from saml2.config import IdPConfig
from saml2.metadata import create_metadata_string
from saml2.saml import NAMEID_FORMAT_PERSISTENT, NameID

with warnings.catch_warnings():
    # pysaml2's IdP module touches cryptography's deprecated CFB mode at import; nothing here uses it.
    warnings.simplefilter("ignore", CryptographyDeprecationWarning)
    from saml2.server import Server

from app.identity.saml.keys import make_key_pair


class LocalIdP:
    """An identity provider at *base*; :meth:`server_for` trusts one SP metadata document."""

    def __init__(
        self,
        base: str = "https://idp.test",
        *,
        lifetime_minutes: int = 15,
        sso_binding: str = BINDING_HTTP_REDIRECT,
    ) -> None:
        self.sso_binding = sso_binding
        self.base = base.rstrip("/")
        self.entity_id = f"{self.base}/idp/metadata"
        self.directory = Path(tempfile.mkdtemp(prefix="test-idp-"))
        key_pem, cert_pem = make_key_pair("Test IdP")
        (self.directory / "idp.key").write_text(key_pem)
        (self.directory / "idp.crt").write_text(cert_pem)
        self.cert_pem = cert_pem
        self.lifetime_minutes = lifetime_minutes

    def config(self, *sp_metadata: str) -> IdPConfig:
        conf: dict[str, Any] = {
            "entityid": self.entity_id,
            "xmlsec_binary": shutil.which("xmlsec1"),
            "key_file": str(self.directory / "idp.key"),
            "cert_file": str(self.directory / "idp.crt"),
            "accepted_time_diff": 60,
            "service": {
                "idp": {
                    "name": "Test IdP",
                    "endpoints": {
                        "single_sign_on_service": [(f"{self.base}/sso", self.sso_binding)],
                        "single_logout_service": [(f"{self.base}/slo", BINDING_HTTP_REDIRECT)],
                    },
                    "policy": {
                        "default": {
                            "lifetime": {"minutes": self.lifetime_minutes},
                            "attribute_restrictions": None,
                            "name_form": "urn:oasis:names:tc:SAML:2.0:attrname-format:uri",
                        }
                    },
                    "name_id_format": [NAMEID_FORMAT_PERSISTENT],
                }
            },
        }
        if sp_metadata:
            conf["metadata"] = {"inline": list(sp_metadata)}
        idp_config = IdPConfig()
        idp_config.load(conf)
        return idp_config

    def metadata(self) -> str:
        document = create_metadata_string(None, config=self.config(), sign=False)
        return document.decode() if isinstance(document, bytes) else document

    def server_for(self, *sp_metadata: str) -> Server:
        """The identity provider, trusting the service providers with these metadata documents."""
        return Server(config=self.config(*sp_metadata))


def redirect_request(location: str) -> tuple[str, str | None]:
    """The SAMLRequest and RelayState of a redirect to the identity provider."""
    query = parse_qs(urlsplit(location).query)
    return query["SAMLRequest"][0], (query.get("RelayState") or [None])[0]


def authn_response(
    server: Server,
    *,
    in_response_to: str | None,
    sp_entity_id: str,
    acs: str,
    subject: str = "emp-1001",
    attributes: dict[str, list[str]] | None = None,
    sign_response: bool = True,
    sign_assertion: bool = True,
    encrypt: bool = False,
    sp_cert_pem: str | None = None,
) -> str:
    """A base64 SAML Response from *server*, as the browser would POST it."""
    identity = attributes or {
        "mail": ["jo.doe@acme.example"],
        "givenName": ["Jo"],
        "sn": ["Doe"],
        "memberOf": ["Warehouse"],
    }
    kwargs: dict[str, Any] = {}
    if encrypt:
        kwargs = {
            "encrypt_assertion": True,
            "encrypt_assertion_self_contained": True,
            "encrypt_cert_assertion": sp_cert_pem,
        }
    response = server.create_authn_response(
        identity,
        in_response_to,
        acs,
        sp_entity_id,
        name_id=NameID(format=NAMEID_FORMAT_PERSISTENT, text=subject),
        authn={
            "class_ref": "urn:oasis:names:tc:SAML:2.0:ac:classes:Password",
            "authn_auth": server.config.entityid,
        },
        sign_response=sign_response,
        sign_assertion=sign_assertion,
        **kwargs,
    )
    return base64.b64encode(str(response).encode()).decode()


__all__ = ["BINDING_HTTP_POST", "LocalIdP", "authn_response", "redirect_request"]
