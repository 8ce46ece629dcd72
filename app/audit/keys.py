"""The keys that authenticate the audit log: HMAC keys for each link, an Ed25519 key for checkpoints.

None of them is ever stored in the database, so whoever can write the database cannot forge a
link or a checkpoint. In the embedded default both are derived from SECRET_KEY with HKDF, so
`make run` works with no set-up; production sets AUDIT_HMAC_KEYS and AUDIT_SIGNING_KEY.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from dataclasses import dataclass

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app

DERIVED_KID = "derived"
MIN_HMAC_KEY_BYTES = 32


class AuditKeyError(ValueError):
    """An audit key setting cannot be read."""


def _derive(secret_key: str, purpose: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=b"atrium-audit", info=purpose).derive(
        secret_key.encode()
    )


def _b64(value: str, setting: str) -> bytes:
    try:
        return base64.b64decode(value.strip(), validate=True)
    except (binascii.Error, ValueError) as error:
        raise AuditKeyError(f"{setting}: {value[:8]}… is not base64") from error


def parse_hmac_keys(value: str | None) -> dict[str, bytes]:
    """Read AUDIT_HMAC_KEYS, ``kid:base64key`` pairs separated by commas, into {kid: key}."""
    keys: dict[str, bytes] = {}
    for item in (value or "").split(","):
        if not item.strip():
            continue
        kid, sep, encoded = item.strip().partition(":")
        kid = kid.strip()
        if not sep or not kid or len(kid) > 32:
            raise AuditKeyError(
                "AUDIT_HMAC_KEYS: each entry is kid:base64key, with a key id of 1-32 characters"
            )
        key = _b64(encoded, "AUDIT_HMAC_KEYS")
        if len(key) < MIN_HMAC_KEY_BYTES:
            raise AuditKeyError(f"AUDIT_HMAC_KEYS: the key {kid!r} has {len(key)} bytes; use at least 32")
        if kid in keys:
            raise AuditKeyError(f"AUDIT_HMAC_KEYS: the key id {kid!r} is listed twice")
        keys[kid] = key
    return keys


def parse_signing_key(value: str | None) -> Ed25519PrivateKey | None:
    """Read AUDIT_SIGNING_KEY, the base64 of a raw 32-byte Ed25519 private key."""
    if not (value or "").strip():
        return None
    raw = _b64(value or "", "AUDIT_SIGNING_KEY")
    if len(raw) != 32:
        raise AuditKeyError("AUDIT_SIGNING_KEY must be the base64 of a raw 32-byte Ed25519 private key")
    return Ed25519PrivateKey.from_private_bytes(raw)


def parse_public_keys(value: str | None) -> list[Ed25519PublicKey]:
    """Read AUDIT_CHECKPOINT_PUBLIC_KEYS: base64 raw Ed25519 public keys of retired signing keys."""
    keys = []
    for item in (value or "").split(","):
        if item.strip():
            raw = _b64(item, "AUDIT_CHECKPOINT_PUBLIC_KEYS")
            if len(raw) != 32:
                raise AuditKeyError("AUDIT_CHECKPOINT_PUBLIC_KEYS: each key is 32 bytes, base64")
            keys.append(Ed25519PublicKey.from_public_bytes(raw))
    return keys


def check_settings(settings: dict[str, object]) -> None:
    """Refuse to start with audit key settings that cannot be read."""
    keys = parse_hmac_keys(str(settings.get("AUDIT_HMAC_KEYS") or ""))
    active = settings.get("AUDIT_HMAC_ACTIVE_KID")
    if active and active not in keys:
        raise AuditKeyError(f"AUDIT_HMAC_ACTIVE_KID {active!r} is not a key id in AUDIT_HMAC_KEYS")
    parse_signing_key(str(settings.get("AUDIT_SIGNING_KEY") or ""))
    parse_public_keys(str(settings.get("AUDIT_CHECKPOINT_PUBLIC_KEYS") or ""))


@dataclass(frozen=True)
class HmacKeyring:
    active_kid: str
    keys: dict[str, bytes]

    @property
    def active_key(self) -> bytes:
        return self.keys[self.active_kid]


def hmac_keyring() -> HmacKeyring:
    """Return the key that signs new links and every key that old links may name.

    The key derived from SECRET_KEY stays known as ``derived`` (unless AUDIT_HMAC_KEYS defines that
    id itself), so links written in the embedded default keep verifying after keys are configured.
    """
    config = current_app.config
    keys = {DERIVED_KID: _derive(config["SECRET_KEY"], b"audit-link-hmac")}
    configured = parse_hmac_keys(config.get("AUDIT_HMAC_KEYS"))
    keys.update(configured)
    active = config.get("AUDIT_HMAC_ACTIVE_KID") or (list(configured)[-1] if configured else DERIVED_KID)
    if active not in keys:
        raise AuditKeyError(f"AUDIT_HMAC_ACTIVE_KID {active!r} is not a key id in AUDIT_HMAC_KEYS")
    return HmacKeyring(active_kid=active, keys=keys)


def signing_key() -> Ed25519PrivateKey:
    """Return the checkpoint signing key: AUDIT_SIGNING_KEY, or one derived from SECRET_KEY."""
    config = current_app.config
    key = parse_signing_key(config.get("AUDIT_SIGNING_KEY"))
    if key is None:
        key = Ed25519PrivateKey.from_private_bytes(_derive(config["SECRET_KEY"], b"audit-checkpoint-ed25519"))
    return key


def public_key_bytes(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def key_id(key: Ed25519PublicKey) -> str:
    """Name a public key by the start of its SHA-256, as written in each checkpoint line."""
    return hashlib.sha256(public_key_bytes(key)).hexdigest()[:16]


def trusted_public_keys() -> dict[str, Ed25519PublicKey]:
    """Return the keys whose checkpoint signatures are accepted, by key id."""
    keys = [
        signing_key().public_key(),
        *parse_public_keys(current_app.config.get("AUDIT_CHECKPOINT_PUBLIC_KEYS")),
    ]
    return {key_id(k): k for k in keys}
