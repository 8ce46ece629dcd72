"""Reports: built-in reports with filters, exports (CSV, XLSX, PDF), saved and scheduled reports."""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask_babel import lazy_gettext as _l

if TYPE_CHECKING:
    from flask import Flask


def init_app(app: Flask) -> None:
    """Register reports: their tables, audit sentences, pages and navigation entry."""
    from app import navigation as nav
    from app.accounts import permissions as perms
    from app.reports import (
        audit_sentences,  # noqa: F401 - the audit log's sentences
        models,  # noqa: F401 - the tables
        views,
    )

    app.register_blueprint(views.bp)
    # In the admin area's Compliance section: the top bar stays short, and managers (who may see
    # reports) already reach the admin area through Certifications.
    nav.register(
        app,
        nav.NavEntry(
            _l("Reports"),
            "reports.index",
            "/reports",
            nav.may(perms.REPORTS_VIEW),
            nav.ADMIN,
            nav.COMPLIANCE,
            order=30,
        ),
    )
