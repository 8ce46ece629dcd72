"""Per-tenant terminology: a portal's own words for interface messages, per language.

Tenant admins and translators override shipped messages (Admin → Terminology), preview and revert
them, and exchange them as PO files; themes may ship default overrides. The portal's translations
chain its overrides, its theme's and the shipped catalog at request time (``catalogs.py``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask_babel import lazy_gettext as _l

if TYPE_CHECKING:
    from flask import Flask


def init_app(app: Flask) -> None:
    """Register the terminology: its table, the tenant-aware translations, admin pages, audit sentences."""
    from app import navigation as nav
    from app.accounts import permissions as perms
    from app.terminology import (
        audit_sentences,  # noqa: F401 - the audit log's sentences
        catalogs,
        models,  # noqa: F401 - the table
        views,
    )

    catalogs.init_app(app)
    app.register_blueprint(views.bp)
    nav.register(
        app,
        nav.NavEntry(
            _l("Terminology"),
            "terminology.index",
            "/admin/terminology",
            nav.may(perms.TRANSLATIONS_MANAGE),
            nav.ADMIN,
            nav.PORTAL,
            order=20,
        ),
    )
