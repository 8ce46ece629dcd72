"""Find tenants: resolve a request's Host, look one up by slug, list them; portal addresses and domain names.

Creating, suspending and resuming tenants is the console's (app/console/services.py); a tenant's own
settings are the portal's (app/portal/services.py): tenancy stands below every feature.
"""

from __future__ import annotations

import re

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select

from app.errors import ValidationError
from app.extensions import db
from app.tenancy.models import Tenant, TenantDomain

SLUG_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")
SUPPORTED_LOCALES = ("en", "es", "fr", "de", "pt_BR", "ar")


def normalise_host(host: str) -> str:
    """Lower-case *host* and drop the port and a trailing dot."""
    host = host.strip().lower()
    if host.startswith("["):  # IPv6 literal
        return host.split("]")[0] + "]"
    return host.rsplit(":", 1)[0].rstrip(".") if ":" in host else host.rstrip(".")


def resolve_host(host: str, root_domain: str) -> Tenant | None:
    """Return the tenant served at *host*, or None when no tenant is."""
    host = normalise_host(host)
    root = normalise_host(root_domain)
    if host == root:
        return db.session.scalars(select(Tenant).where(Tenant.is_platform.is_(True))).first()
    suffix = "." + root
    if host.endswith(suffix):
        label = host[: -len(suffix)]
        if "." in label or not label:
            return None
        return db.session.scalars(
            select(Tenant).where(Tenant.slug == label, Tenant.is_platform.is_(False))
        ).one_or_none()
    return db.session.scalars(
        select(Tenant)
        .join(TenantDomain)
        .where(TenantDomain.domain == host, TenantDomain.verified.is_(True), Tenant.is_platform.is_(False))
    ).one_or_none()


def get_tenant_by_slug(slug: str) -> Tenant | None:
    return db.session.scalars(select(Tenant).where(Tenant.slug == slug.strip().lower())).one_or_none()


def tenant_snapshot(tenant: Tenant) -> dict:
    return {
        "slug": tenant.slug,
        "display_name": tenant.display_name,
        "audience": tenant.audience,
        "partner_tier": tenant.partner_tier,
        "status": tenant.status,
        "default_locale": tenant.default_locale,
        "enabled_locales": tenant.enabled_locales,
        "time_zone": tenant.time_zone,
        "theme": tenant.theme,
        "session_idle_minutes": tenant.session_idle_minutes,
        "session_max_hours": tenant.session_max_hours,
    }


def list_tenants(include_platform: bool = False) -> list[Tenant]:
    query = select(Tenant).order_by(Tenant.slug)
    if not include_platform:
        query = query.where(Tenant.is_platform.is_(False))
    return list(db.session.scalars(query))


DOMAIN_RE = re.compile(
    r"^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+(?:[a-z]{2,63}|xn--[a-z0-9-]{1,59})$"
)


def custom_domain_name(domain: str) -> str:
    """*domain* as stored and matched (lower-case, punycode), or ValidationError if it cannot serve a portal.

    A name under the root domain never reaches the custom-domain lookup (the root serves the
    platform, ``<label>.<root>`` serves the tenant with that slug, deeper names nothing), so
    accepting one would promise a portal address that can never work.
    """
    import idna

    typed = domain.strip()
    try:
        name = idna.encode(normalise_host(typed), uts46=True).decode("ascii")
    except (idna.IDNAError, UnicodeError):
        name = ""
    if not DOMAIN_RE.match(name):
        raise ValidationError(_("“%(domain)s” is not a valid domain name.", domain=typed), field="domain")
    root = normalise_host(current_app.config["ATRIUM_DOMAIN"])
    if name == root or name.endswith("." + root):
        raise ValidationError(
            _(
                "%(domain)s is part of the platform's own domain %(root)s, so it can never be a portal's "
                "custom domain. Use a domain the organisation owns, such as learn.example.com.",
                domain=name,
                root=root,
            ),
            field="domain",
        )
    return name


def portal_url(tenant: Tenant, path: str = "/") -> str:
    """The address of *path* at *tenant*'s portal, from configuration only, never from a request's Host.

    Links that leave the browser (emails, receipts) use it: a spoofed Host header cannot
    send a password reset link to another address.
    """
    config = current_app.config
    host = config["ATRIUM_DOMAIN"] if tenant.is_platform else f"{tenant.slug}.{config['ATRIUM_DOMAIN']}"
    scheme = config["PREFERRED_URL_SCHEME"]
    port = config.get("ATRIUM_PORT")
    default_port = {"http": 80, "https": 443}.get(scheme)
    authority = f"{host}:{port}" if port and port != default_port else host
    return f"{scheme}://{authority}/{path.lstrip('/')}"
