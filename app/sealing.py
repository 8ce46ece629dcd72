"""Secrets at rest: one helper that encrypts every stored secret (identity provider secrets, directory
bind passwords, SAML keys, two-step secrets, certificate signing keys) under keys from configuration.

``SECRETS_KEYS`` is a comma-separated list of base64-encoded 32-byte keys; the first seals, every one
unseals, so a key is rotated by putting a new one first, running ``flask --app wsgi secrets reseal``
(which re-encrypts every registered column under the first key) and then dropping the old one.
Unset, one key is derived from SECRET_KEY with HKDF: fine for the embedded default, not for
production (changing SECRET_KEY would make every sealed secret unreadable).

A sealed value is ``s1:`` + the key's 8-byte id + a 12-byte nonce + AES-256-GCM ciphertext. The
*purpose* is authenticated with it (associated data), so a value copied to another row, column or
tenant does not unseal.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app

PREFIX = b"s1:"
_KEY_ID_BYTES = 8
_NONCE_BYTES = 12


class SealingError(RuntimeError):
    """A sealed value cannot be opened: no configured key matches, or it was tampered with."""


def _parse_keys(configured: str) -> list[bytes]:
    keys = []
    for number, part in enumerate(p.strip() for p in configured.split(",")):
        if not part:
            continue
        try:
            key = base64.b64decode(part, validate=True)
        except (binascii.Error, ValueError) as error:
            raise SealingError(f"SECRETS_KEYS entry {number + 1} is not base64") from error
        if len(key) != 32:
            raise SealingError(f"SECRETS_KEYS entry {number + 1} must be 32 bytes, base64-encoded")
        keys.append(key)
    if not keys:
        raise SealingError("SECRETS_KEYS is set but holds no key")
    return keys


def keys() -> list[bytes]:
    """The configured keys, the sealing one first."""
    configured = current_app.config.get("SECRETS_KEYS")
    if configured:
        return _parse_keys(str(configured))
    derived = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=b"atrium-secrets", info=b"secrets at rest"
    ).derive(str(current_app.config["SECRET_KEY"]).encode())
    return [derived]


def key_id(key: bytes) -> bytes:
    return hashlib.sha256(b"atrium-secrets-key-id:" + key).digest()[:_KEY_ID_BYTES]


def seal(data: bytes, *, purpose: str) -> bytes:
    """Encrypt *data* under the current key, bound to *purpose* (e.g. ``"oidc-client-secret:3:17"``)."""
    key = keys()[0]
    nonce = os.urandom(_NONCE_BYTES)
    return PREFIX + key_id(key) + nonce + AESGCM(key).encrypt(nonce, data, purpose.encode())


def unseal(blob: bytes, *, purpose: str) -> bytes:
    """Decrypt a value :func:`seal` made for the same *purpose*, with whichever configured key made it."""
    blob = bytes(blob)
    if not blob.startswith(PREFIX):
        raise SealingError("not a sealed value")
    body = blob[len(PREFIX) :]
    wanted, nonce, sealed = (
        body[:_KEY_ID_BYTES],
        body[_KEY_ID_BYTES : _KEY_ID_BYTES + _NONCE_BYTES],
        body[_KEY_ID_BYTES + _NONCE_BYTES :],
    )
    for key in keys():
        if key_id(key) == wanted:
            try:
                return AESGCM(key).decrypt(nonce, sealed, purpose.encode())
            except Exception as error:  # InvalidTag: tampered, or sealed for another purpose
                raise SealingError(f"sealed value for {purpose} was altered or belongs elsewhere") from error
    raise SealingError(f"sealed value for {purpose} was made with a key that is no longer configured")


def seal_text(text: str, *, purpose: str) -> bytes:
    return seal(text.encode(), purpose=purpose)


def unseal_text(blob: bytes, *, purpose: str) -> str:
    return unseal(blob, purpose=purpose).decode()


def sealed_with_current_key(blob: bytes) -> bool:
    blob = bytes(blob)
    return blob.startswith(PREFIX) and blob[len(PREFIX) : len(PREFIX) + _KEY_ID_BYTES] == key_id(keys()[0])


@dataclass(frozen=True)
class SealedColumn:
    """A column holding sealed values: its model, attribute and how a row names its purpose.

    *opener* reads a value in an older format too (it gets the row and the stored value).
    """

    model: Any
    attribute: str
    purpose: Callable[[Any], str]
    opener: Callable[[Any, bytes], bytes] | None = None


_registry: list[SealedColumn] = []


def register(
    model: Any,
    attribute: str,
    purpose: Callable[[Any], str],
    opener: Callable[[Any, bytes], bytes] | None = None,
) -> None:
    """Declare a sealed column, so ``flask secrets reseal`` re-encrypts it after a key rotation."""
    if not any(c.model is model and c.attribute == attribute for c in _registry):
        _registry.append(SealedColumn(model, attribute, purpose, opener))


def registered() -> list[SealedColumn]:
    return list(_registry)


def reseal_rows(session: Any) -> tuple[int, list[str]]:
    """Re-encrypt under the current key every registered value of the tenant in context that is not.

    Returns how many values changed, and the purposes of those no configured key opens (left as they
    are). Run once per tenant (``flask secrets reseal`` does).
    """
    from sqlalchemy import select

    changed, unreadable = 0, []
    for column in _registry:
        for row in session.scalars(select(column.model)):
            blob = getattr(row, column.attribute)
            if blob is None or sealed_with_current_key(blob):
                continue
            purpose = column.purpose(row)
            try:
                plain = column.opener(row, bytes(blob)) if column.opener else unseal(blob, purpose=purpose)
            except Exception:  # SealingError, or the opener's own for an older format
                unreadable.append(purpose)
                continue
            setattr(row, column.attribute, seal(plain, purpose=purpose))
            changed += 1
    return changed, unreadable
