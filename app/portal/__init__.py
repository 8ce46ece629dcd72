"""A tenant's own portal, as its admins set it: brand, languages and time zone, how long a sign-in lasts."""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask_babel import lazy_gettext as _l

if TYPE_CHECKING:
    from flask import Flask


def init_app(app: Flask) -> None:
    """Register the Branding page (with languages and sessions) and its navigation entry."""
    from app import navigation as nav
    from app.accounts import permissions as perms
    from app.portal import views

    app.register_blueprint(views.bp)
    nav.register(
        app,
        nav.NavEntry(
            _l("Branding"),
            "branding.edit",
            "/admin/branding",
            nav.may(perms.BRANDING_MANAGE),
            nav.ADMIN,
            nav.PORTAL,
            order=10,
        ),
    )
