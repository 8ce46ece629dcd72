"""Certificate serial numbers: 80 random bits in Crockford base32, plus a mod-37 check character.

A serial is shown in groups (``7ZK3-QH0M-V9XA-R2TD-F``) and read back forgivingly: case, dashes and
spaces do not matter, and I/L read as 1, O as 0. A mistyped character fails the check, so a typo is
"unknown", never someone else's certificate.
"""

from __future__ import annotations

import secrets

_SYMBOLS = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_CHECK_SYMBOLS = _SYMBOLS + "*~$=U"
_READ_AS = str.maketrans({"I": "1", "L": "1", "O": "0"})
LENGTH = 16  # 16 symbols of 5 bits: 80 random bits
MAX_INPUT = 40


def _check_character(body: str) -> str:
    number = 0
    for char in body:
        number = number * 32 + _SYMBOLS.index(char)
    return _CHECK_SYMBOLS[number % 37]


def new_serial() -> str:
    """A fresh serial in its stored form (17 symbols, no dashes)."""
    body = "".join(_SYMBOLS[b] for b in (secrets.randbits(5) for _ in range(LENGTH)))
    return body + _check_character(body)


def normalise(text: str) -> str | None:
    """The stored form of a serial someone typed, or None if it is not a well-formed serial."""
    if len(text) > MAX_INPUT:
        return None
    compact = "".join(text.split()).replace("-", "").upper()
    if len(compact) != LENGTH + 1:
        return None
    body = compact[:LENGTH].translate(_READ_AS)
    check = compact[LENGTH]
    if check != "U":
        check = check.translate(_READ_AS)
    if any(c not in _SYMBOLS for c in body) or check not in _CHECK_SYMBOLS:
        return None
    return body + check if _check_character(body) == check else None


def display(serial: str) -> str:
    """The serial in groups of four, as printed on the certificate."""
    body = serial[:LENGTH]
    return "-".join([body[i : i + 4] for i in range(0, LENGTH, 4)] + [serial[LENGTH:]])
