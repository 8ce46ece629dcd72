"""Adding and configuring an OpenID Connect provider: presets, discovery, endpoints typed in."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.errors import ValidationError
from app.identity import services as identity
from app.identity.models import IdentityProvider, ProviderKind
from app.identity.oidc import protocol

PRESETS = {
    "custom": _l("Another provider (discovery URL or endpoints)"),
    "entra": _l("Microsoft Entra ID"),
    "google": _l("Google Workspace"),
    "okta": _l("Okta"),
}
ENDPOINTS = ("issuer", "authorization_endpoint", "token_endpoint", "jwks_uri", "userinfo_endpoint")
_HOST = re.compile(r"^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
_ENTRA_TENANT = re.compile(
    r"^(?:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|"
    r"(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63})$"
)
_SCOPE = re.compile(r"^[\x21\x23-\x5b\x5d-\x7e]+$")  # RFC 6749 3.3 scope-token


@dataclass
class Connection:
    """What an admin typed about the connection (the add and settings pages)."""

    preset: str = "custom"
    entra_tenant: str = ""
    google_domain: str = ""
    okta_domain: str = ""
    discovery_url: str = ""
    issuer: str = ""
    authorization_endpoint: str = ""
    token_endpoint: str = ""
    jwks_uri: str = ""
    userinfo_endpoint: str = ""
    client_id: str = ""
    client_secret: str = ""
    scopes: str = protocol.DEFAULT_SCOPES

    @classmethod
    def of(cls, provider: IdentityProvider) -> Connection:
        settings = provider.settings or {}
        known = {k: str(settings.get(k) or "") for k in cls.__dataclass_fields__ if k != "client_secret"}
        return cls(**{k: v for k, v in known.items() if v})


def _scopes(text: str) -> str:
    scopes: list[str] = []
    for scope in (text or "").split():
        if not _SCOPE.match(scope):
            raise ValidationError(
                _("“%(scope)s” is not a scope: use names like openid, email, profile.", scope=scope),
                field="scopes",
            )
        if scope not in scopes:
            scopes.append(scope)
    if "openid" not in scopes:
        scopes.insert(0, "openid")
    return " ".join(scopes)


def _address(url: str, field: str) -> str:
    url = (url or "").strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValidationError(_("Enter a full address starting with https://."), field=field)
    try:
        plain_allowed = protocol.http_allowed(url)
    except protocol.OidcRefused as refused:
        raise ValidationError(
            _("That address cannot be used: %(problem)s.", problem=refused.detail), field=field
        ) from None
    if not plain_allowed:
        raise ValidationError(
            _("Use an https:// address: the client secret and tokens must not travel unencrypted."),
            field=field,
        )
    return url


def _discovered(connection: Connection) -> tuple[dict[str, Any], dict[str, Any]]:
    """The endpoints for the chosen preset (from discovery) and the preset's own settings."""
    preset = connection.preset
    extra: dict[str, Any] = {"preset": preset}
    issuer_prefix = None
    if preset == "entra":
        tenant = connection.entra_tenant.strip().lower()
        if tenant in ("common", "organizations", "consumers") or not _ENTRA_TENANT.match(tenant):
            raise ValidationError(
                _("Enter your directory (tenant) ID, like 72f988bf-86f1-41af-91ab-2d7cd011db47."),
                field="entra_tenant",
            )
        url = f"https://login.microsoftonline.com/{tenant}/v2.0{protocol.WELL_KNOWN}"
        issuer_prefix = "https://login.microsoftonline.com/"
        extra["entra_tenant"], field = tenant, "entra_tenant"
    elif preset == "google":
        url, field = f"https://accounts.google.com{protocol.WELL_KNOWN}", "google_domain"
        domain = connection.google_domain.strip().lower().removeprefix("@")
        if domain and not _HOST.match(domain):
            raise ValidationError(
                _("Enter your Google Workspace domain, like example.com, or leave it empty."),
                field="google_domain",
            )
        extra["google_domain"] = extra["hosted_domain"] = domain
        extra["issuer_aliases"] = ["accounts.google.com"]
    elif preset == "okta":
        raw = connection.okta_domain.strip().lower()
        parts = urlsplit(raw if "://" in raw else f"https://{raw}")
        if not parts.hostname or not _HOST.match(parts.hostname):
            raise ValidationError(_("Enter your Okta domain, like example.okta.com."), field="okta_domain")
        issuer = f"https://{parts.hostname}{parts.path.rstrip('/')}"
        url, field = issuer + protocol.WELL_KNOWN, "okta_domain"
        extra["okta_domain"] = raw
    else:
        url, field = _address(connection.discovery_url, "discovery_url"), "discovery_url"
        extra["discovery_url"] = url
    try:
        return protocol.discover(url, issuer_prefix=issuer_prefix), extra
    except protocol.OidcRefused as refused:
        raise ValidationError(_explain_discovery(refused), field=field) from None


def _explain_discovery(refused: protocol.OidcRefused) -> str:
    if refused.code == "unreachable":
        return _(
            "The provider's discovery document could not be fetched: %(problem)s.", problem=refused.detail
        )
    if refused.code == "discovery_issuer":
        return _(
            "The discovery document names another issuer (%(problem)s): check the address.",
            problem=refused.detail,
        )
    return _(
        "That address does not serve an OpenID Connect discovery document (%(problem)s).",
        problem=refused.detail,
    )


def resolve(connection: Connection) -> dict[str, Any]:
    """The settings to save for *connection*; raises ValidationError naming the field to fix."""
    client_id = connection.client_id.strip()
    if not client_id:
        raise ValidationError(_("Enter the client ID the provider gave you for Atrium."), field="client_id")
    if len(client_id) > 255:
        raise ValidationError(_("Keep the client ID under 255 characters."), field="client_id")
    scopes = _scopes(connection.scopes)
    if connection.preset not in PRESETS:
        raise ValidationError(_("Choose a provider from the list."), field="preset")
    typed = connection.preset == "custom" and not connection.discovery_url.strip()
    if typed:
        endpoints: dict[str, Any] = {"preset": "custom", "token_auth_method": "client_secret_basic"}
        for name in ENDPOINTS:
            value = getattr(connection, name).strip()
            if not value and name == "userinfo_endpoint":
                continue
            if not value:
                raise ValidationError(
                    _("Enter the discovery URL, or every endpoint: this one is missing."), field=name
                )
            endpoints[name] = value if name == "issuer" else _address(value, name)
        endpoints["algorithms"] = ["RS256"]
    else:
        discovered, extra = _discovered(connection)
        endpoints = {**discovered, **extra}
    return {**endpoints, "client_id": client_id, "scopes": scopes}


def add_provider(name: str, slug: str, domains: list[str], connection: Connection) -> IdentityProvider:
    """Add an OpenID Connect provider from the add page; audited (no secret in the audit log)."""
    if not connection.client_secret.strip():
        raise ValidationError(
            _("Enter the client secret the provider gave you for Atrium."), field="client_secret"
        )
    settings = resolve(connection)
    provider = identity.create_provider(
        ProviderKind.oidc.value, name, slug, domains=domains, settings=settings
    )
    identity.set_secret(provider, connection.client_secret.strip())
    return provider


def save_connection(provider: IdentityProvider, connection: Connection) -> IdentityProvider:
    """Change a provider's connection; an empty secret keeps the one saved. Audited."""
    settings = resolve(connection)
    identity.update_provider(provider, settings=settings)
    identity.set_secret(provider, connection.client_secret.strip() or None)
    protocol.forget_keys(provider)
    return provider
