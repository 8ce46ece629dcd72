"""The global content library: packages with immutable versions, deployed to tenants."""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask_babel import lazy_gettext as _l

if TYPE_CHECKING:
    from flask import Flask


def init_app(app: Flask) -> None:
    """Register the library: the console's packages, a tenant's deployments, deployment to new tenants."""
    from app import navigation as nav
    from app.accounts import permissions as perms
    from app.library import (
        models,  # noqa: F401 - the tables
        subscribers,  # noqa: F401 - new tenants receive what is deployed automatically
        views,
    )

    app.register_blueprint(views.bp)
    nav.register(
        app,
        nav.NavEntry(
            _l("Library"),
            "library.console_packages",
            "/console/library",
            nav.may(perms.PLATFORM_LIBRARY),
            portals=(nav.PLATFORM,),
            order=20,
        ),
        nav.NavEntry(
            _l("Library"),
            "library.tenant_deployments",
            "/admin/library",
            nav.may(perms.CATALOG_MANAGE),
            nav.ADMIN,
            nav.LEARNING,
            order=50,
        ),
    )
