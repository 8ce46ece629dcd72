"""The kinds of identity provider (SAML, OpenID Connect, LDAP): each registers what it can do.

A kind that sends the person away and back (SAML, OpenID Connect) has ``start``; a directory that
checks a password (LDAP) has ``check_password``. Each has its own admin page for its settings
(``settings_endpoint``, given the provider's id) and its own page to add one (``add_endpoint``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from app.identity.models import IdentityProvider
from app.identity.provisioning import Received


@dataclass
class Kind:
    key: str
    label: Any  # lazy text: "SAML 2.0", "OpenID Connect", "LDAP directory"
    add_endpoint: str
    settings_endpoint: str
    # SAML and OpenID Connect: the response that sends the person to the provider (test=True: the
    # admin's "Test sign-in", whose answer is shown and not used to sign in).
    start: Callable[[IdentityProvider, str | None, bool], Any] | None = None
    # LDAP: what the directory says about the person with this email and password; raises
    # IdentityRefused when it refuses them (wrong password, unknown, directory down).
    check_password: Callable[[IdentityProvider, str, str], Received] | None = None
    # Lines for the Sign-in page about the provider's health: (level, text), level "warning" or "info".
    status_notes: Callable[[IdentityProvider], list[tuple[str, str]]] = field(default=lambda provider: [])


_kinds: dict[str, Kind] = {}


def register(kind: Kind) -> None:
    _kinds[kind.key] = kind


def get(key: str) -> Kind | None:
    return _kinds.get(key)


def all_kinds() -> list[Kind]:
    return list(_kinds.values())
