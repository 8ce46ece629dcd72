"""Open Badges 3.0: each award as an ``OpenBadgeCredential`` with an ``eddsa-rdfc-2022`` proof.

The issuer is the portal: its id is the portal's published key document (``/certificates/issuer``,
listing every badge key it ever had, so badges signed before a rotation still verify), with the
portal's name, address and logo. Revocation is published in a ``BitstringStatusListCredential``
(``/certificates/status/revocation``) signed by the same issuer. Contexts are the files in
``contexts/``; nothing is fetched from the network to sign or to check.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

from sqlalchemy import select

from app.certificates import keys
from app.certificates.models import Certificate, KeyPurpose, SigningKey
from app.extensions import db
from app.tenancy.models import Tenant, utcnow

CREDENTIALS_V2 = "https://www.w3.org/ns/credentials/v2"
OPEN_BADGES_V3 = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
MULTIKEY_V1 = "https://w3id.org/security/multikey/v1"
DID_V1 = "https://www.w3.org/ns/did/v1"
_CONTEXT_FILES = {
    CREDENTIALS_V2: "credentials-v2.jsonld",
    OPEN_BADGES_V3: "ob-v3p0-context-3.0.3.json",
    MULTIKEY_V1: "multikey-v1.jsonld",
}
_CONTEXTS = Path(__file__).parent / "contexts"
# A status list has at least 131,072 entries (16 KB), so that one entry says little about whose it is.
STATUS_LIST_BITS = 131072


class BadgeError(ValueError):
    """A credential that cannot be signed or checked."""


@cache
def _context(url: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads((_CONTEXTS / _CONTEXT_FILES[url]).read_text(encoding="utf-8"))
    return document


def document_loader(url: str, options: Any = None) -> dict[str, Any]:
    """pyld's document loader over the shipped contexts only: no network, ever."""
    if url not in _CONTEXT_FILES:
        raise BadgeError(f"{url} is not one of the shipped JSON-LD contexts")
    # "static" lets pyld keep the resolved context, and the contexts it processed from it, for the life of
    # the process (without a tag it resolves and processes every context again for each document): the
    # shipped files never change while it runs.
    return {"contextUrl": None, "documentUrl": url, "document": _context(url), "tag": "static"}


def canonical(document: dict[str, Any]) -> bytes:
    """RDF Dataset Canonicalization (RDFC-1.0, formerly URDNA2015) of *document* as N-Quads."""
    from app.certificates.canonical import nquads

    return nquads(document, document_loader).encode("utf-8")


def _xsd(moment: datetime) -> str:
    return moment.replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


def issuer_url(tenant: Tenant) -> str:
    from app.tenancy.services import portal_url

    return portal_url(tenant, "/certificates/issuer")


def status_list_url(tenant: Tenant) -> str:
    from app.tenancy.services import portal_url

    return portal_url(tenant, "/certificates/status/revocation")


def verification_method_id(tenant: Tenant, kid: str) -> str:
    return f"{issuer_url(tenant)}#{kid}"


def _hash_data(document: dict[str, Any], proof_options: dict[str, Any]) -> bytes:
    unsigned = {k: v for k, v in document.items() if k != "proof"}
    config = {"@context": document["@context"], **proof_options}
    return hashlib.sha256(canonical(config)).digest() + hashlib.sha256(canonical(unsigned)).digest()


def sign(tenant: Tenant, document: dict[str, Any]) -> dict[str, Any]:
    """*document* with a Data Integrity proof (eddsa-rdfc-2022) by the portal's active badge key."""
    key = keys.active_key(KeyPurpose.badge)
    options = {
        "type": "DataIntegrityProof",
        "cryptosuite": "eddsa-rdfc-2022",
        "created": _xsd(utcnow()),
        "verificationMethod": verification_method_id(tenant, key.kid),
        "proofPurpose": "assertionMethod",
    }
    signature = key.private_key.sign(_hash_data(document, options))
    return {**document, "proof": {**options, "proofValue": "z" + keys.base58btc(signature)}}


def _issuer(tenant: Tenant) -> dict[str, Any]:
    from app.tenancy.services import portal_url

    profile: dict[str, Any] = {
        "id": issuer_url(tenant),
        "type": ["Profile"],
        "name": tenant.display_name,
        "url": portal_url(tenant, "/"),
    }
    if (tenant.branding or {}).get("logo"):
        profile["image"] = {"id": portal_url(tenant, "/brand/logo"), "type": "Image"}
    return profile


def issue_badge(tenant: Tenant, certificate: Certificate) -> dict[str, Any]:
    """The signed OpenBadgeCredential of *certificate*."""
    from app.certificates.documents import verify_url
    from app.tenancy.services import portal_url

    credential: dict[str, Any] = {
        "@context": [CREDENTIALS_V2, OPEN_BADGES_V3],
        "id": verify_url(tenant, certificate.serial),
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": certificate.title,
        "issuer": _issuer(tenant),
        "validFrom": _xsd(certificate.awarded_at),
        "credentialSubject": {
            "type": ["AchievementSubject"],
            "identifier": [
                {
                    "type": "IdentityObject",
                    "identityType": "name",
                    "hashed": False,
                    "identityHash": certificate.holder_name,
                }
            ],
            "achievement": {
                "id": portal_url(tenant, f"/certifications/{certificate.certification_id}"),
                "type": ["Achievement"],
                "name": certificate.title,
                "description": certificate.title,
                "criteria": {"narrative": certificate.title},
            },
        },
        "credentialStatus": {
            "id": f"{status_list_url(tenant)}#{certificate.status_index}",
            "type": "BitstringStatusListEntry",
            "statusPurpose": "revocation",
            "statusListIndex": str(certificate.status_index),
            "statusListCredential": status_list_url(tenant),
        },
    }
    if certificate.expires_at is not None:
        credential["validUntil"] = _xsd(certificate.expires_at)
    return sign(tenant, credential)


def encoded_list(revoked_indexes: list[int]) -> str:
    """The status bits (index 0 is the first byte's highest bit), GZIP-compressed, multibase base64url."""
    size = max(STATUS_LIST_BITS, ((max(revoked_indexes, default=0) // 8) + 1) * 8)
    bits = bytearray(size // 8)
    for index in revoked_indexes:
        bits[index // 8] |= 0x80 >> (index % 8)
    compressed = gzip.compress(bytes(bits), mtime=0)
    return "u" + base64.urlsafe_b64encode(compressed).decode("ascii").rstrip("=")


def status_list_credential(tenant: Tenant) -> dict[str, Any] | None:
    """The portal's signed revocation list, or None before it has issued any badge (GET never makes a key)."""
    if not _badge_keys():
        return None
    revoked = list(
        db.session.scalars(
            select(Certificate.status_index).where(
                Certificate.revoked_at.is_not(None), Certificate.status_index.is_not(None)
            )
        )
    )
    url = status_list_url(tenant)
    return sign(
        tenant,
        {
            "@context": [CREDENTIALS_V2],
            "id": url,
            "type": ["VerifiableCredential", "BitstringStatusListCredential"],
            "issuer": issuer_url(tenant),
            "validFrom": _xsd(utcnow()),
            "credentialSubject": {
                "id": f"{url}#list",
                "type": "BitstringStatusList",
                "statusPurpose": "revocation",
                "encodedList": encoded_list([i for i in revoked if i is not None]),
            },
        },
    )


def _badge_keys() -> list[SigningKey]:
    return keys.public_keys(KeyPurpose.badge)


def issuer_document(tenant: Tenant) -> dict[str, Any]:
    """The portal's published key document: every badge key it ever had, as Multikey verification methods."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    url = issuer_url(tenant)
    methods = []
    for row in _badge_keys():
        public = serialization.load_pem_public_key(row.public_key_pem.encode())
        assert isinstance(public, Ed25519PublicKey)
        methods.append(
            {
                "id": verification_method_id(tenant, row.kid),
                "type": "Multikey",
                "controller": url,
                "publicKeyMultibase": keys.multikey(public),
            }
        )
    return {
        "@context": [DID_V1, MULTIKEY_V1],
        "id": url,
        "verificationMethod": methods,
        "assertionMethod": [m["id"] for m in methods],
    }


def verify(document: dict[str, Any], tenant: Tenant) -> bool:
    """Whether *document*'s proof was made by one of the portal's badge keys over exactly this content."""
    from cryptography.exceptions import InvalidSignature

    proof = document.get("proof")
    if not isinstance(proof, dict) or proof.get("cryptosuite") != "eddsa-rdfc-2022":
        return False
    value = str(proof.get("proofValue") or "")
    wanted = str(proof.get("verificationMethod") or "")
    options = {k: v for k, v in proof.items() if k != "proofValue"}
    for row in _badge_keys():
        if verification_method_id(tenant, row.kid) != wanted:
            continue
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

        public = serialization.load_pem_public_key(row.public_key_pem.encode())
        assert isinstance(public, Ed25519PublicKey)
        try:
            public.verify(keys.base58btc_decode(value[1:]), _hash_data(document, options))
        except (InvalidSignature, ValueError):
            return False
        return value.startswith("z")
    return False
