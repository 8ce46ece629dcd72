"""The platform's tenant lifecycle: create a tenant with its roles, suspend, resume, add a custom domain."""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select

from app import audit, events, timezones
from app.accounts.services import ensure_builtin_roles
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
from app.tenancy.services import (
    SLUG_RE,
    SUPPORTED_LOCALES,
    custom_domain_name,
    get_tenant_by_slug,
    tenant_snapshot,
)


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
