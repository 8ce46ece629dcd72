"""The portal's SAML key pairs: made on first use, private keys sealed at rest, rotated by an admin.

pysaml2 hands keys to xmlsec1 as files: :func:`files_for` writes them, unsealed, into one private
directory of this process (0700, files 0600) removed when the process ends.
"""

from __future__ import annotations

import atexit
import hashlib
import os
import shutil
import tempfile
from datetime import timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from sqlalchemy import select

from app import audit, sealing
from app.extensions import db
from app.identity.saml.models import SamlKey
from app.tenancy.models import utcnow

# How long a replaced key stays in the metadata and still decrypts, so identity providers that
# read the metadata daily (or an admin who updates them by hand) pick the new one up first.
OVERLAP = timedelta(days=14)
VALIDITY = timedelta(days=3650)

_directory: Path | None = None


def _private_directory() -> Path:
    global _directory
    if _directory is None or not _directory.exists():
        _directory = Path(tempfile.mkdtemp(prefix="atrium-saml-"))
        os.chmod(_directory, 0o700)
        atexit.register(shutil.rmtree, str(_directory), True)
    return _directory


def make_key_pair(common_name: str) -> tuple[str, str]:
    """A new RSA 3072 key and a self-signed certificate valid for ten years, both PEM."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=3072)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name[:64])])
    now = utcnow()
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + VALIDITY)
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    return key_pem, certificate.public_bytes(serialization.Encoding.PEM).decode()


def _create(common_name: str) -> SamlKey:
    key_pem, cert_pem = make_key_pair(common_name)
    certificate = x509.load_pem_x509_certificate(cert_pem.encode())
    row = SamlKey(certificate_pem=cert_pem, key_sealed=b"", not_after=certificate.not_valid_after_utc)
    db.session.add(row)
    db.session.flush()
    row.key_sealed = sealing.seal_text(key_pem, purpose=row.key_purpose)
    return row


def live_keys() -> list[SamlKey]:
    """The keys in the metadata, current first: the newest, then replaced ones still overlapping."""
    now = utcnow()
    return list(
        db.session.scalars(
            select(SamlKey)
            .where((SamlKey.retired_at.is_(None)) | (SamlKey.retired_at > now))
            .order_by(SamlKey.created_at.desc(), SamlKey.id.desc())
        )
    )


def current_key(common_name: str) -> SamlKey:
    """The key that signs now; made (and audited) the first time the portal needs one."""
    keys = [k for k in live_keys() if k.retired_at is None]
    if keys:
        return keys[0]
    row = _create(common_name)
    audit.record("identity.saml_key_created", target=row, after={"not_after": row.not_after.isoformat()})
    return row


def rotate(common_name: str) -> SamlKey:
    """Make a new current key; the previous ones stay in the metadata for OVERLAP; audited."""
    now = utcnow()
    previous = [k for k in live_keys() if k.retired_at is None]
    for old in previous:
        old.retired_at = now + OVERLAP
    row = _create(common_name)
    audit.record(
        "identity.saml_key_rotated",
        target=row,
        before={"keys": [k.id for k in previous]},
        after={"key": row.id, "previous_until": (now + OVERLAP).isoformat()},
    )
    return row


def files_for(key: SamlKey) -> tuple[str, str]:
    """Paths of *key*'s private key and certificate files, written once per process (0600)."""
    digest = hashlib.sha256(f"{key.tenant_id}:{key.id}:{key.certificate_pem}".encode()).hexdigest()[:24]
    directory = _private_directory()
    key_path, cert_path = directory / f"{digest}.key", directory / f"{digest}.crt"
    if not key_path.exists():
        pem = sealing.unseal_text(key.key_sealed, purpose=key.key_purpose)
        partial = directory / f"{digest}.{os.getpid()}.tmp"
        descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            handle.write(pem)
        os.replace(partial, key_path)
    if not cert_path.exists():
        descriptor = os.open(cert_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            handle.write(key.certificate_pem)
    return str(key_path), str(cert_path)
