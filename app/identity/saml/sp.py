"""The portal as a SAML service provider: its pysaml2 configuration (built per request from the
tenant and the provider), the AuthnRequest that sends a person away, and the checks on what
comes back to the assertion consumer service."""

from __future__ import annotations

import base64
import logging
import shutil
from typing import Any

from flask import current_app, g
from itsdangerous import BadSignature, URLSafeTimedSerializer
from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT
from saml2.client import Saml2Client
from saml2.config import SPConfig
from saml2.saml import NAMEID_FORMAT_PERSISTENT
from saml2.xmldsig import DIGEST_SHA256, SIG_RSA_SHA256
from sqlalchemy import select

from app.extensions import db
from app.identity.models import IdentityProvider
from app.identity.saml import keys
from app.identity.saml.models import SamlKey
from app.tenancy.services import portal_url

log = logging.getLogger(__name__)

METADATA_PATH = "/sso/saml/metadata"
ACS_PATH = "/sso/saml/acs"
SLO_PATH = "/sso/saml/slo"
ACCEPTED_TIME_DIFF = 60  # seconds of clock difference tolerated between the provider and us
RELAY_MAX_AGE = 15 * 60


def entity_id() -> str:
    return portal_url(g.tenant, METADATA_PATH)


def acs_url() -> str:
    return portal_url(g.tenant, ACS_PATH)


def slo_url() -> str:
    return portal_url(g.tenant, SLO_PATH)


def common_name() -> str:
    return f"Atrium SAML {g.tenant.slug}"


def current_key() -> SamlKey:
    return keys.current_key(common_name())


def config(provider: IdentityProvider | None, *, allow_unsolicited: bool = False) -> SPConfig:
    """pysaml2's configuration of this portal's service provider, trusting *provider*'s metadata."""
    current = current_key()
    key_file, cert_file = keys.files_for(current)
    live = keys.live_keys()
    older = [keys.files_for(k) for k in live if k.id != current.id]
    settings = (provider.settings or {}) if provider is not None else {}
    conf: dict[str, Any] = {
        "entityid": entity_id(),
        "xmlsec_binary": shutil.which("xmlsec1") or "/usr/bin/xmlsec1",
        "key_file": key_file,
        "cert_file": cert_file,
        "additional_cert_files": [cert for _key, cert in older] or None,
        # Every live key decrypts: an identity provider may still encrypt to the previous one.
        "encryption_keypairs": [{"key_file": key_file, "cert_file": cert_file}]
        + [{"key_file": k, "cert_file": c} for k, c in older],
        "accepted_time_diff": ACCEPTED_TIME_DIFF,
        "allow_unknown_attributes": True,
        "signing_algorithm": SIG_RSA_SHA256,
        "digest_algorithm": DIGEST_SHA256,
        "service": {
            "sp": {
                "name": g.tenant.display_name,
                "endpoints": {
                    "assertion_consumer_service": [(acs_url(), BINDING_HTTP_POST)],
                    "single_logout_service": [(slo_url(), BINDING_HTTP_REDIRECT)],
                },
                "allow_unsolicited": allow_unsolicited,
                "authn_requests_signed": True,
                "logout_requests_signed": True,
                "want_response_signed": False,
                "want_assertions_signed": bool(settings.get("want_assertions_signed")),
                # Never an unsigned answer: the response or its assertion must be signed.
                "want_assertions_or_response_signed": True,
                "name_id_format": NAMEID_FORMAT_PERSISTENT,
                "name_id_format_allow_create": True,
            }
        },
    }
    if settings.get("metadata_xml"):
        conf["metadata"] = {"inline": [settings["metadata_xml"]]}
    sp_config = SPConfig()
    sp_config.load(conf)
    return sp_config


def client(provider: IdentityProvider | None, *, allow_unsolicited: bool = False) -> Saml2Client:
    return Saml2Client(config(provider, allow_unsolicited=allow_unsolicited))


def metadata_xml() -> str:
    """This portal's signed SP metadata, with every live certificate (current and overlapping)."""
    from saml2.metadata import create_metadata_string

    sp_config = config(None)
    document = create_metadata_string(None, config=sp_config, sign=True, valid=24 * 365)
    return document.decode() if isinstance(document, bytes) else document


# RelayState: the ACS POST is cross-site and carries no session cookie, so what the request
# started with travels signed through the identity provider and back.


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="atrium-saml-relay-state")


def relay_state(provider: IdentityProvider, next_url: str | None, test: bool, request_id: str) -> str:
    return _serializer().dumps(
        {"t": g.tenant.id, "p": provider.id, "n": next_url or None, "x": bool(test), "r": request_id}
    )


def read_relay_state(token: str) -> dict[str, Any] | None:
    """What :func:`relay_state` carried, if it is ours, for this portal and not too old."""
    try:
        data = _serializer().loads(token, max_age=RELAY_MAX_AGE)
    except BadSignature:
        return None
    if not isinstance(data, dict) or data.get("t") != g.tenant.id:
        return None
    return data


def issuer_of(saml_response: str) -> tuple[str | None, str | None]:
    """The Issuer and InResponseTo of a base64 SAML Response, read before trusting anything in it."""
    from saml2 import samlp

    xml = base64.b64decode(saml_response, validate=False)
    parsed = samlp.response_from_string(xml)
    if parsed is None:
        raise ValueError("not a SAML Response")
    issuer = parsed.issuer.text.strip() if parsed.issuer is not None and parsed.issuer.text else None
    if issuer is None and parsed.assertion:
        first = parsed.assertion[0]
        issuer = first.issuer.text.strip() if first.issuer is not None and first.issuer.text else None
    return issuer, parsed.in_response_to


def saml_providers() -> list[IdentityProvider]:
    """This portal's SAML providers that are not removed (the session scopes them to the tenant)."""
    return list(
        db.session.scalars(
            select(IdentityProvider).where(
                IdentityProvider.kind == "saml", IdentityProvider.deactivated_at.is_(None)
            )
        )
    )


def provider_for_issuer(issuer: str | None) -> IdentityProvider | None:
    if not issuer:
        return None
    return next((p for p in saml_providers() if (p.settings or {}).get("idp_entity_id") == issuer), None)
