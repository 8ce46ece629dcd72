"""Reading an identity provider's SAML metadata into the settings Atrium keeps for it."""

from __future__ import annotations

import base64
from datetime import datetime
from typing import Any

from cryptography import x509
from flask_babel import gettext as _
from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT
from saml2.attribute_converter import ac_factory
from saml2.mdstore import InMemoryMetaData

from app.errors import ValidationError

MAX_METADATA_BYTES = 2 * 1024 * 1024


def _pem(der_base64: str) -> str:
    body = "".join(der_base64.split())
    lines = [body[i : i + 64] for i in range(0, len(body), 64)]
    return "-----BEGIN CERTIFICATE-----\n" + "\n".join(lines) + "\n-----END CERTIFICATE-----\n"


def certificate_expiry(pem: str) -> datetime | None:
    try:
        return x509.load_pem_x509_certificate(pem.encode()).not_valid_after_utc
    except ValueError:
        return None


def parse(xml: str | bytes, field: str = "metadata") -> dict[str, Any]:
    """The identity provider's entity id, sign-in and sign-out addresses and signing certificates.

    Raises ValidationError (on *field*) naming what is wrong with the document.
    """
    text = xml.decode("utf-8", "replace") if isinstance(xml, bytes) else (xml or "")
    text = text.strip()
    if not text:
        raise ValidationError(
            _("Paste the identity provider's metadata, upload it or give its address."), field=field
        )
    if len(text.encode()) > MAX_METADATA_BYTES:
        raise ValidationError(
            _("The metadata is larger than 2 MB; give the metadata of one provider."), field=field
        )
    store = InMemoryMetaData(ac_factory(), text, check_validity=False)
    try:
        store.load()
    except Exception:
        raise ValidationError(
            _("This is not SAML metadata: expected an XML EntityDescriptor of an identity provider."),
            field=field,
        ) from None
    if len(store) == 0:
        raise ValidationError(
            _("This is not SAML metadata: expected an XML EntityDescriptor of an identity provider."),
            field=field,
        )
    for entity_id, entity in store.items():
        descriptors = entity.get("idpsso_descriptor")
        if not descriptors:
            continue
        sso: list[tuple[str, str]] = []
        slo: list[tuple[str, str]] = []
        for descriptor in descriptors:
            sso += [(s["binding"], s["location"]) for s in descriptor.get("single_sign_on_service", [])]
            slo += [(s["binding"], s["location"]) for s in descriptor.get("single_logout_service", [])]
        sso_choice = next((s for s in sso if s[0] == BINDING_HTTP_REDIRECT), None) or next(
            (s for s in sso if s[0] == BINDING_HTTP_POST), None
        )
        if sso_choice is None:
            raise ValidationError(
                _(
                    "The metadata of %(entity)s has no sign-in address for the HTTP-Redirect "
                    "or HTTP-POST binding.",
                    entity=entity_id,
                ),
                field=field,
            )
        certs = []
        for _name, der in store.certs(entity_id, "idpsso", "signing"):
            try:
                base64.b64decode(der, validate=False)
            except ValueError:
                continue
            pem = _pem(der)
            if certificate_expiry(pem) is not None and pem not in certs:
                certs.append(pem)
        if not certs:
            raise ValidationError(
                _(
                    "The metadata of %(entity)s has no signing certificate, "
                    "so its answers could not be trusted.",
                    entity=entity_id,
                ),
                field=field,
            )
        expiries = [e for e in (certificate_expiry(c) for c in certs) if e is not None]
        slo_choice = next((s for s in slo if s[0] == BINDING_HTTP_REDIRECT), None)
        return {
            "idp_entity_id": entity_id,
            "sso_url": sso_choice[1],
            "sso_binding": sso_choice[0],
            "slo_url": slo_choice[1] if slo_choice else None,
            "signing_certs": certs,
            "certs_expire_at": min(expiries).isoformat() if expiries else None,
            "metadata_xml": text,
        }
    raise ValidationError(
        _("The metadata describes no identity provider (no IDPSSODescriptor)."), field=field
    )
