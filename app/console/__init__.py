"""The platform console at the root domain, and ``flask tenants``: the operator creates and runs tenants."""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask_babel import lazy_gettext as _l

if TYPE_CHECKING:
    from flask import Flask


def init_app(app: Flask) -> None:
    """Register the console's pages, ``flask tenants`` and the Tenants and Usage entries of the top bar."""
    from app import navigation as nav
    from app.accounts import permissions as perms
    from app.console import cli, views

    app.register_blueprint(views.bp)
    app.cli.add_command(cli.tenants_group)
    nav.register(
        app,
        nav.NavEntry(
            _l("Tenants"),
            "console.tenants",
            "/console",
            nav.may(perms.PLATFORM_TENANTS),
            portals=(nav.PLATFORM,),
            order=10,
        ),
        nav.NavEntry(
            _l("Usage"),
            "console.usage",
            "/console/usage",
            nav.may(perms.PLATFORM_USAGE),
            portals=(nav.PLATFORM,),
            order=25,
        ),
    )
