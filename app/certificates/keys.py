"""Each tenant's signing keys: made on first use, private parts encrypted at rest, rotated on request.

The private keys are sealed with app.sealing (AES-256-GCM under ``SECRETS_KEYS``, bound to the key's
tenant, purpose and kid). Keys made before that were encrypted under ``CERTIFICATE_KEYS_SECRET`` (or
a key derived from SECRET_KEY) in the ``v1:`` format; they still open, and ``flask secrets reseal``
moves them to the current format. A rotated key is retired, not deleted: its public key and X.509
certificate stay, so certificates it signed still verify.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from dataclasses import dataclass
from datetime import timedelta
from functools import lru_cache
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.x509.oid import NameOID
from flask import current_app
from sqlalchemy import select

from app import audit, sealing
from app.certificates.models import KeyPurpose, SigningKey
from app.extensions import db
from app.tenancy import context as tenancy_context
from app.tenancy.models import Tenant, utcnow

_FORMAT = b"v1:"
# The multicodec prefix of an Ed25519 public key (0xed01), for did:key and Multikey.
_ED25519_MULTICODEC = b"\xed\x01"
_BASE58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


class SigningKeyError(RuntimeError):
    """A signing key cannot be used: the secret that encrypts it is wrong or unreadable."""


def _encryption_key() -> bytes:
    configured = current_app.config.get("CERTIFICATE_KEYS_SECRET")
    if configured:
        try:
            key = base64.b64decode(str(configured).strip(), validate=True)
        except (binascii.Error, ValueError) as error:
            raise SigningKeyError("CERTIFICATE_KEYS_SECRET is not base64") from error
        if len(key) != 32:
            raise SigningKeyError("CERTIFICATE_KEYS_SECRET must be 32 bytes, base64-encoded")
        return key
    return HKDF(
        algorithm=hashes.SHA256(), length=32, salt=b"atrium-certificates", info=b"signing keys at rest"
    ).derive(str(current_app.config["SECRET_KEY"]).encode())


def _associated_data(tenant_id: int, purpose: str, kid: str) -> bytes:
    # Binds the ciphertext to its row: a key copied to another tenant or purpose does not decrypt.
    return f"{tenant_id}:{purpose}:{kid}".encode()


def sealing_purpose(tenant_id: int, purpose: str, kid: str) -> str:
    return f"signing-key:{tenant_id}:{purpose}:{kid}"


def encrypt_private_key(pem: bytes, *, tenant_id: int, purpose: str, kid: str) -> bytes:
    return sealing.seal(pem, purpose=sealing_purpose(tenant_id, purpose, kid))


def decrypt_private_key(blob: bytes, *, tenant_id: int, purpose: str, kid: str) -> bytes:
    blob = bytes(blob)
    if blob.startswith(sealing.PREFIX):
        try:
            return sealing.unseal(blob, purpose=sealing_purpose(tenant_id, purpose, kid))
        except sealing.SealingError as error:
            raise SigningKeyError(f"signing key {kid} cannot be opened: {error}") from error
    return _decrypt(blob, _encryption_key(), tenant_id=tenant_id, purpose=purpose, kid=kid)


def open_row(row: SigningKey, blob: bytes) -> bytes:
    """The private key PEM of *row* from *blob* in either format (``flask secrets reseal`` uses it)."""
    return decrypt_private_key(blob, tenant_id=row.tenant_id, purpose=row.purpose, kid=row.kid)


def _decrypt(blob: bytes, secret: bytes, *, tenant_id: int, purpose: str, kid: str) -> bytes:
    if not blob.startswith(_FORMAT):
        raise SigningKeyError(f"signing key {kid}: unknown format")
    nonce, sealed = blob[len(_FORMAT) : len(_FORMAT) + 12], blob[len(_FORMAT) + 12 :]
    try:
        return AESGCM(secret).decrypt(nonce, sealed, _associated_data(tenant_id, purpose, kid))
    except Exception as error:  # InvalidTag: another secret, or a tampered row
        raise SigningKeyError(f"signing key {kid} cannot be decrypted with the configured secret") from error


# Decrypting and parsing a key costs more than signing with it, so a worker keeps the keys it used. The
# cache key is everything the result depends on: the encrypted row as stored (a rotated key has a new kid
# and row), its tenant, purpose and kid (the associated data) and the configured secrets (another secret
# still fails). A failure is never cached. Bounded: a worker serving many portals keeps the most recent.
@lru_cache(maxsize=256)
def _private_key(blob: bytes, secrets: tuple[bytes, ...], tenant_id: int, purpose: str, kid: str) -> Any:
    pem = decrypt_private_key(blob, tenant_id=tenant_id, purpose=purpose, kid=kid)
    return serialization.load_pem_private_key(pem, password=None)


def _configured_secrets() -> tuple[bytes, ...]:
    return (*sealing.keys(), _encryption_key())


def base58btc(data: bytes) -> str:
    number = int.from_bytes(data, "big")
    out = ""
    while number:
        number, rest = divmod(number, 58)
        out = _BASE58[rest] + out
    return "1" * (len(data) - len(data.lstrip(b"\0"))) + out


def multikey(public_key: Ed25519PublicKey) -> str:
    """The key as a Multikey ``publicKeyMultibase`` (``z6Mk…``)."""
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return "z" + base58btc(_ED25519_MULTICODEC + raw)


@dataclass(frozen=True)
class LoadedKey:
    """A signing key ready to use: its row and its decrypted private key."""

    row: SigningKey
    private_key: Any

    @property
    def kid(self) -> str:
        return self.row.kid

    @property
    def certificate(self) -> x509.Certificate:
        assert self.row.certificate_pem is not None
        return x509.load_pem_x509_certificate(self.row.certificate_pem.encode())


def _tenant() -> Tenant:
    tenant_id = tenancy_context.current_tenant_id()
    if tenant_id is None:
        raise tenancy_context.TenantContextMissing("signing keys belong to a tenant")
    tenant = db.session.get(Tenant, tenant_id)
    assert tenant is not None
    return tenant


def _self_signed(tenant: Tenant, private_key: ec.EllipticCurvePrivateKey) -> x509.Certificate:
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, tenant.display_name[:64] or tenant.slug),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, tenant.display_name[:64] or tenant.slug),
            x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, f"Atrium portal {tenant.slug}"[:64]),
        ]
    )
    now = utcnow()
    public = private_key.public_key()
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(public)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=365 * 30))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
        .sign(private_key, hashes.SHA256())
    )


def _new_key(tenant: Tenant, purpose: str) -> SigningKey:
    private: Any
    if purpose == KeyPurpose.pdf:
        private = ec.generate_private_key(ec.SECP256R1())
        certificate = _self_signed(tenant, private)
        certificate_pem = certificate.public_bytes(serialization.Encoding.PEM).decode()
        algorithm = "ES256"
    elif purpose == KeyPurpose.badge:
        private = Ed25519PrivateKey.generate()
        certificate_pem = None
        algorithm = "Ed25519"
    else:
        raise ValueError(f"unknown key purpose {purpose!r}")
    public_pem = private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    spki = private.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    kid = f"{purpose}-{hashlib.sha256(spki).hexdigest()[:20]}"
    private_pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    row = SigningKey(
        purpose=purpose,
        kid=kid,
        algorithm=algorithm,
        public_key_pem=public_pem.decode(),
        certificate_pem=certificate_pem,
        private_key_encrypted=encrypt_private_key(private_pem, tenant_id=tenant.id, purpose=purpose, kid=kid),
    )
    db.session.add(row)
    db.session.flush()
    audit.record("certificate.signing_key_created", target=row, after={"kid": kid, "purpose": purpose})
    return row


def active_key(purpose: str) -> LoadedKey:
    """The current tenant's active key for *purpose*, made now if it has none."""
    row = db.session.scalars(
        select(SigningKey).where(SigningKey.purpose == purpose, SigningKey.retired_at.is_(None))
    ).first()
    if row is None:
        row = _new_key(_tenant(), purpose)
    return load(row)


def load(row: SigningKey) -> LoadedKey:
    """Decrypt *row*'s private key."""
    if row.private_key_encrypted is None:
        raise SigningKeyError(f"signing key {row.kid} is retired and has no private key")
    private = _private_key(
        bytes(row.private_key_encrypted), _configured_secrets(), row.tenant_id, row.purpose, row.kid
    )
    return LoadedKey(row, private)


def key_by_kid(kid: str) -> SigningKey | None:
    return db.session.scalars(select(SigningKey).where(SigningKey.kid == kid)).first()


def public_keys(purpose: str) -> list[SigningKey]:
    """Every key of *purpose* the tenant ever had, newest first (retired ones verify old certificates)."""
    return list(
        db.session.scalars(
            select(SigningKey).where(SigningKey.purpose == purpose).order_by(SigningKey.id.desc())
        )
    )


def rotate(purpose: str) -> tuple[SigningKey | None, SigningKey]:
    """Retire the active key of *purpose* (dropping its private part) and make a new one."""
    old = db.session.scalars(
        select(SigningKey).where(SigningKey.purpose == purpose, SigningKey.retired_at.is_(None))
    ).first()
    if old is not None:
        old.retired_at = utcnow()
        old.private_key_encrypted = None
        db.session.flush()
        # The retired private key leaves this process's memory too (other workers stop using it as soon
        # as they read the new active key; theirs ages out of their bounded cache).
        _private_key.cache_clear()
    new = _new_key(_tenant(), purpose)
    audit.record(
        "certificate.signing_key_rotated",
        target=new,
        after={"purpose": purpose, "kid": new.kid, "retired": old.kid if old else None},
    )
    return old, new


def base58btc_decode(text: str) -> bytes:
    number = 0
    for char in text:
        index = _BASE58.find(char)
        if index < 0:
            raise ValueError("not base58btc")
        number = number * 58 + index
    body = number.to_bytes((number.bit_length() + 7) // 8, "big") if number else b""
    return b"\0" * (len(text) - len(text.lstrip("1"))) + body
