"""Create, suspend and resume tenants; resolve a request's Host to a tenant."""

from __future__ import annotations

import re

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select

from app import audit, events, timezones
from app.errors import ValidationError
from app.extensions import db
from app.tenancy import context
from app.tenancy.context import platform_writes
from app.tenancy.models import (
    PLATFORM_SLUG,
    RESERVED_SLUGS,
    Audience,
    Tenant,
    TenantDomain,
    TenantStatus,
    utcnow,
)

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


def _validate_tenant_fields(
    slug: str,
    display_name: str,
    audience: str,
    default_locale: str,
    enabled_locales: list[str],
    time_zone: str,
) -> None:
    if not SLUG_RE.match(slug):
        raise ValidationError(
            _("Use 1 to 63 lower-case letters, digits and hyphens, not starting or ending with a hyphen."),
            field="slug",
        )
    if slug in RESERVED_SLUGS:
        raise ValidationError(_("“%(slug)s” is reserved; choose another address.", slug=slug), field="slug")
    if not display_name.strip():
        raise ValidationError(_("Enter the portal's name."), field="display_name")
    if audience not in {a.value for a in Audience}:
        raise ValidationError(_("Choose an audience from the list."), field="audience")
    unknown = [loc for loc in enabled_locales if loc not in SUPPORTED_LOCALES]
    if unknown or not enabled_locales:
        raise ValidationError(_("Choose languages from the list."), field="enabled_locales")
    if default_locale not in enabled_locales:
        raise ValidationError(
            _("The default language must be one of the enabled languages."), field="default_locale"
        )
    if not timezones.is_current_zone(time_zone):
        raise ValidationError(_("Choose a time zone from the list."), field="time_zone")


@platform_writes("tenancy.create_tenant")
def create_tenant(
    slug: str,
    display_name: str,
    *,
    audience: str = Audience.employees.value,
    partner_tier: str | None = None,
    default_locale: str = "en",
    enabled_locales: list[str] | None = None,
    time_zone: str = "UTC",
    theme: str = "default",
    branding: dict | None = None,
) -> Tenant:
    """Create a tenant with its built-in roles, recording it in the new tenant's audit log."""
    from app.accounts.services import ensure_builtin_roles

    slug = slug.strip().lower()
    enabled_locales = enabled_locales or [default_locale]
    _validate_tenant_fields(slug, display_name, audience, default_locale, enabled_locales, time_zone)
    if get_tenant_by_slug(slug) is not None:
        raise ValidationError(_("A portal at “%(slug)s” already exists.", slug=slug), field="slug")
    tenant = Tenant(
        slug=slug,
        display_name=display_name.strip(),
        audience=audience,
        partner_tier=(partner_tier or "").strip() or None,
        default_locale=default_locale,
        enabled_locales=list(enabled_locales),
        time_zone=time_zone,
        theme=theme,
        branding=branding or {},
        status=TenantStatus.active.value,
    )
    db.session.add(tenant)
    db.session.flush()
    with context.as_tenant(tenant.id):
        ensure_builtin_roles(tenant)
        audit.record("tenant.created", target=tenant, after=tenant_snapshot(tenant), tenant_id=tenant.id)
        # Subscribers (e.g. the library's automatic deployments) run in the new tenant's context.
        events.emit(
            "tenant.created",
            {
                "tenant_id": tenant.id,
                "slug": tenant.slug,
                "audience": tenant.audience,
                "partner_tier": tenant.partner_tier,
            },
        )
    return tenant


@platform_writes("tenancy.ensure_platform_tenant")
def ensure_platform_tenant() -> Tenant:
    """Create the reserved platform tenant served at the root domain, once."""
    from app.accounts.services import ensure_builtin_roles

    tenant = db.session.scalars(select(Tenant).where(Tenant.is_platform.is_(True))).first()
    if tenant is None:
        tenant = Tenant(
            slug=PLATFORM_SLUG,
            display_name="Atrium",
            audience=Audience.other.value,
            is_platform=True,
            default_locale="en",
            enabled_locales=list(SUPPORTED_LOCALES),
            time_zone="UTC",
        )
        db.session.add(tenant)
        db.session.flush()
    with context.as_tenant(tenant.id):
        ensure_builtin_roles(tenant)
    return tenant


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


@platform_writes("tenancy.suspend_tenant")
def suspend_tenant(tenant: Tenant) -> Tenant:
    """Suspend *tenant*: its portal answers 403 and nobody can sign in or call its API."""
    if tenant.is_platform:
        raise ValidationError(_("The platform itself cannot be suspended."))
    if tenant.status == TenantStatus.suspended.value:
        return tenant
    before = tenant_snapshot(tenant)
    tenant.status = TenantStatus.suspended.value
    tenant.suspended_at = utcnow()
    with context.as_tenant(tenant.id):
        audit.record("tenant.suspended", target=tenant, before=before, after=tenant_snapshot(tenant))
    return tenant


@platform_writes("tenancy.resume_tenant")
def resume_tenant(tenant: Tenant) -> Tenant:
    """Resume a suspended tenant."""
    if tenant.status == TenantStatus.active.value:
        return tenant
    before = tenant_snapshot(tenant)
    tenant.status = TenantStatus.active.value
    tenant.suspended_at = None
    with context.as_tenant(tenant.id):
        audit.record("tenant.resumed", target=tenant, before=before, after=tenant_snapshot(tenant))
    return tenant


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


@platform_writes("tenancy.add_custom_domain")
def add_custom_domain(tenant: Tenant, domain: str, *, verified: bool = False) -> TenantDomain:
    """Attach *domain* to *tenant*; it serves the tenant once verified."""
    domain = custom_domain_name(domain)
    if tenant.is_platform:
        raise ValidationError(_("The platform is served at the root domain only."), field="domain")
    existing = db.session.scalars(select(TenantDomain).where(TenantDomain.domain == domain)).one_or_none()
    if existing is not None and existing.tenant_id != tenant.id:
        raise ValidationError(
            _("%(domain)s already belongs to another portal.", domain=domain), field="domain"
        )
    record = existing or TenantDomain(tenant_id=tenant.id, domain=domain)
    record.verified = verified or record.verified
    db.session.add(record)
    with context.as_tenant(tenant.id):
        audit.record(
            "tenant.domain_added", target=tenant, after={"domain": domain, "verified": record.verified}
        )
    return record


def update_locale_settings(
    tenant: Tenant, *, enabled_locales: list[str], default_locale: str, time_zone: str
) -> Tenant:
    """Choose which languages the portal offers, its default language and its time zone."""
    enabled = [loc for loc in SUPPORTED_LOCALES if loc in set(enabled_locales)]
    if not enabled or len(enabled) != len(set(enabled_locales)):
        raise ValidationError(_("Choose languages from the list."), field="enabled_locales")
    if default_locale not in enabled:
        raise ValidationError(
            _("The default language must be one of the enabled languages."), field="default_locale"
        )
    # The zone already saved stays allowed (even an older name); a newly chosen one comes from the list.
    if time_zone != tenant.time_zone and not timezones.is_current_zone(time_zone):
        raise ValidationError(_("Choose a time zone from the list."), field="time_zone")
    before = tenant_snapshot(tenant)
    tenant.enabled_locales, tenant.default_locale, tenant.time_zone = enabled, default_locale, time_zone
    after = tenant_snapshot(tenant)
    if before != after:
        with context.as_tenant(tenant.id):
            audit.record("tenant.locale_settings_changed", target=tenant, before=before, after=after)
    return tenant


# A sign-in may stay idle between 5 minutes and a day, and last between an hour and 90 days.
SESSION_IDLE_MINUTES_RANGE = (5, 24 * 60)
SESSION_MAX_HOURS_RANGE = (1, 90 * 24)


def update_session_settings(tenant: Tenant, *, idle_minutes: int, max_hours: int) -> Tenant:
    """Choose how long a sign-in lasts: after how long without a request, and at most."""
    low, high = SESSION_IDLE_MINUTES_RANGE
    if not low <= idle_minutes <= high:
        raise ValidationError(
            _("Enter between %(low)d and %(high)d minutes.", low=low, high=high), field="idle_minutes"
        )
    low, high = SESSION_MAX_HOURS_RANGE
    if not low <= max_hours <= high:
        raise ValidationError(
            _("Enter between %(low)d and %(high)d hours.", low=low, high=high), field="max_hours"
        )
    if idle_minutes > max_hours * 60:
        raise ValidationError(
            _("The idle time cannot be longer than the longest a sign-in lasts."), field="idle_minutes"
        )
    before = tenant_snapshot(tenant)
    tenant.session_idle_minutes, tenant.session_max_hours = idle_minutes, max_hours
    after = tenant_snapshot(tenant)
    if before != after:
        with context.as_tenant(tenant.id):
            audit.record("tenant.session_settings_changed", target=tenant, before=before, after=after)
    return tenant


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
