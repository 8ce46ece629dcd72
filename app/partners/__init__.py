"""The partner program: tiers with targets of certified people, partner companies, and how each stands."""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask_babel import lazy_gettext as _l

if TYPE_CHECKING:
    from flask import Flask


def init_app(app: Flask) -> None:
    """Register the partner program: tables, audit sentences, pages and navigation entries."""
    from app import navigation as nav
    from app.accounts import permissions as perms
    from app.partners import (
        admin_views,
        audit_sentences,  # noqa: F401 - the audit log's sentences
        models,  # noqa: F401 - the tables
        views,
    )

    app.register_blueprint(views.bp)
    app.register_blueprint(admin_views.bp)
    nav.register(
        app,
        nav.NavEntry(
            _l("Partner program"),
            "partners.program",
            "/partners",
            nav.may_any(perms.PARTNERS_VIEW, perms.PARTNERS_MANAGE),
            nav.ADMIN,
            nav.COMPLIANCE,
            order=14,
        ),
        nav.NavEntry(
            _l("Partner tiers"),
            "partner_admin.index",
            "/admin/partners",
            nav.may(perms.PARTNERS_MANAGE),
            nav.ADMIN,
            nav.COMPLIANCE,
            order=15,
        ),
    )
