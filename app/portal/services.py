"""A tenant's own portal settings, changed by its admins: brand, languages and time zone, sign-in lifetime."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _

from app import audit, timezones
from app.errors import ValidationError
from app.storage import storage
from app.tenancy import context
from app.tenancy.branding import SIGN_IN_MESSAGE_MAX, clean_colour, clean_favicon, clean_logo
from app.tenancy.models import Tenant
from app.tenancy.services import SUPPORTED_LOCALES, tenant_snapshot
from app.tenancy.themes import available_themes, get_theme


def branding_snapshot(tenant: Tenant) -> dict[str, Any]:
    return {"display_name": tenant.display_name, "theme": tenant.theme, **(tenant.branding or {})}


def update_branding(
    tenant: Tenant,
    *,
    display_name: str,
    theme: str,
    primary: str,
    accent: str,
    sign_in_message: str,
    logo: bytes | None = None,
    favicon: bytes | None = None,
    remove_logo: bool = False,
    remove_favicon: bool = False,
) -> Tenant:
    """Change *tenant*'s brand after checking every field; nothing changes if one is wrong."""
    name = (display_name or "").strip()
    if not name:
        raise ValidationError(_("Enter the portal's name."), field="display_name")
    if len(name) > 200:
        raise ValidationError(_("Keep the portal's name under 200 characters."), field="display_name")
    if theme not in available_themes():
        raise ValidationError(_("Choose a theme from the list."), field="theme")
    chosen = get_theme(theme)
    primary_colour = clean_colour(primary, "primary", _("primary colour"), chosen)
    accent_colour = clean_colour(accent, "accent", _("accent colour"), chosen)
    message = (sign_in_message or "").strip()
    if len(message) > SIGN_IN_MESSAGE_MAX:
        raise ValidationError(
            _("Keep the sign-in message under %(n)d characters.", n=SIGN_IN_MESSAGE_MAX),
            field="sign_in_message",
        )
    cleaned_logo = clean_logo(logo) if logo else None
    cleaned_favicon = clean_favicon(favicon) if favicon else None

    before = branding_snapshot(tenant)
    branding = dict(tenant.branding or {})
    branding.update(primary=primary_colour, accent=accent_colour, sign_in_message=message or None)
    if cleaned_logo:
        branding["logo"] = storage().save(tenant.id, "branding", *cleaned_logo)
    elif remove_logo:
        branding.pop("logo", None)
    if cleaned_favicon:
        branding["favicon"] = storage().save(tenant.id, "branding", *cleaned_favicon)
    elif remove_favicon:
        branding.pop("favicon", None)
    tenant.display_name = name
    tenant.theme = theme
    tenant.branding = branding
    after = branding_snapshot(tenant)
    changed = {k for k in set(before) | set(after) if before.get(k) != after.get(k)}
    if changed:
        audit.record(
            "tenant.branding_changed",
            target=tenant,
            before={k: before.get(k) for k in sorted(changed)},
            after={k: after.get(k) for k in sorted(changed)},
        )
    return tenant


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
