"""What every template may use: the locale, the navigation, labels, permissions and date filters."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import Flask, g
from flask_babel import format_timedelta, get_locale
from flask_login import current_user
from markupsafe import Markup

from app.labels import label
from app.locales import RTL_LOCALES, switchable_locales
from app.navigation import admin_navigation, main_navigation
from app.tenancy.branding import brand_version
from app.tenancy.themes import current_theme_key, get_theme


def current_locale_code() -> str:
    locale = get_locale()
    return str(locale).replace("_", "-") if locale else "en"


def iso(value: Any) -> str:
    """An ISO 8601 timestamp with its offset, for <time datetime>."""
    if value is None:
        return ""
    if not hasattr(value, "hour"):
        return str(value.isoformat())  # a date
    # HTML allows at most three digits of a second: microseconds make the attribute invalid.
    return str(value.isoformat(timespec="seconds"))


def bdi(value: Any) -> Markup:
    """Isolate user content's direction inside a translated sentence: English names in Arabic text."""
    return Markup("<bdi>{}</bdi>").format(value)


def relative_time(value: Any) -> str:
    """Say how long ago (or until) *value* is, in the reader's language: "3 hours ago"."""
    if value is None:
        return ""
    return format_timedelta(value - datetime.now(UTC), add_direction=True)


def has_permission(permission: str) -> bool:
    return bool(current_user and current_user.is_authenticated and current_user.can(permission))


def _page_globals() -> dict[str, object]:
    return {
        "rtl_locales": RTL_LOCALES,
        "theme": get_theme(current_theme_key()),
        "brand_version": brand_version(g.get("tenant")),
    }


def init_app(app: Flask) -> None:
    """Give every template the app-wide globals, filters and per-page values."""
    app.add_template_global(current_locale_code)
    app.add_template_filter(iso, "iso")
    app.add_template_filter(bdi, "bdi")
    app.add_template_filter(relative_time, "relative_time")
    app.add_template_global(label)
    app.add_template_global(main_navigation)
    app.add_template_global(admin_navigation)
    app.add_template_global(switchable_locales)
    app.context_processor(_page_globals)
    app.add_template_global(has_permission)
