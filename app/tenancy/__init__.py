"""Tenants and the tenancy invariant: ``tenancy.unscoped(reason)`` and ``tenancy.as_tenant(t)``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from app.tenancy.context import as_tenant, current_tenant_id, platform_writes, unscoped

if TYPE_CHECKING:
    from flask import Flask

__all__ = [
    "as_tenant",
    "current_tenant_id",
    "init_app",
    "init_database",
    "init_request_tenant",
    "init_themes",
    "platform_writes",
    "unscoped",
]


def init_database() -> None:
    """Route the platform path's transactions to the platform database role (``app/tenancy/session.py``).

    Call it before the first session is opened; the session class is the app-wide ``db``'s.
    """
    from app.extensions import db
    from app.tenancy.session import TenancySession

    db.session.session_factory.class_ = TenancySession


def init_themes(app: Flask) -> None:
    """Look templates up in the tenant's theme first, then the app's (cached per theme).

    Call it before anything renders or reads ``app.jinja_env``.
    """
    from app.tenancy import themes

    app.jinja_environment = themes.themed_environment_class(app.jinja_environment)  # type: ignore[assignment]
    app.jinja_env.loader = themes.ThemeLoader(app.create_global_jinja_loader())


def init_request_tenant(app: Flask) -> None:
    """Resolve each request's tenant from its Host.

    Call it before any other request hook is registered: CSRF, rate limits and sign-in all happen
    inside a tenant.
    """
    from app.tenancy import web

    web.init_app(app)


def init_app(app: Flask) -> None:
    """Register tenancy: its tables and scoping, brand assets and theme files, ``flask postgres``."""
    from app.tenancy import (
        cli,
        models,  # noqa: F401 - the tables
        scoping,  # noqa: F401 - the listeners that scope every read and check every write
        views,
    )

    app.register_blueprint(views.bp)
    app.cli.add_command(cli.postgres_group)
