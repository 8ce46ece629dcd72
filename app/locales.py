"""The locales Atrium ships, with their names in their own language."""

from __future__ import annotations

LOCALE_NAMES = {
    "en": "English",
    "es": "Español",
    "fr": "Français",
    "de": "Deutsch",
    "pt_BR": "Português (Brasil)",
    "ar": "العربية",
}
RTL_LOCALES = frozenset({"ar"})


def switchable_locales() -> list[tuple[str, str]]:
    """The current tenant's enabled locales with their own names, for the language switcher."""
    from flask import g

    tenant = g.get("tenant")
    enabled = list(tenant.enabled_locales) if tenant else list(LOCALE_NAMES)
    return [(code, LOCALE_NAMES.get(code, code)) for code in enabled]
