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
