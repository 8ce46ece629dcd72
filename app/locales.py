"""The locales Atrium ships, with their names in their own language."""

from __future__ import annotations

from typing import Any

LOCALE_NAMES = {
    "en": "English",
    "es": "Español",
    "fr": "Français",
    "de": "Deutsch",
    "pt_BR": "Português (Brasil)",
    "ar": "العربية",
}
RTL_LOCALES = frozenset({"ar"})


def is_known_locale(code: str | None) -> bool:
    return code in LOCALE_NAMES


def person_locale(chosen: str | None, tenant: Any) -> str:
    """The language to use for a person: theirs when the portal offers it, else the portal's default.

    A stored value that is no longer (or never was) usable, an unknown or blank code, must never break a
    page or a job: it falls back, as if the person had not chosen.
    """
    enabled = list(tenant.enabled_locales) if tenant is not None else list(LOCALE_NAMES)
    if chosen in enabled and is_known_locale(chosen):
        return str(chosen)
    default = tenant.default_locale if tenant is not None else None
    return str(default) if default and is_known_locale(default) else "en"


def switchable_locales() -> list[tuple[str, str]]:
    """The current tenant's enabled locales with their own names, for the language switcher."""
    from flask import g

    tenant = g.get("tenant")
    enabled = list(tenant.enabled_locales) if tenant else list(LOCALE_NAMES)
    return [(code, LOCALE_NAMES.get(code, code)) for code in enabled]
