"""Signing in against a portal's own LDAP directory (ldap3): the person types their directory
password on Atrium's sign-in page; Atrium finds them by email with a service account, checks the
password by binding as them, and maps their attributes and groups like any other provider."""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask_babel import lazy_gettext as _l

if TYPE_CHECKING:
    from flask import Flask


def init_app(app: Flask) -> None:
    """Register the LDAP kind and its admin pages."""
    from app.identity import kinds
    from app.identity.ldap import services, views

    app.register_blueprint(views.bp)
    kinds.register(
        kinds.Kind(
            key="ldap",
            label=_l("LDAP directory"),
            add_endpoint="identity_ldap.add",
            settings_endpoint="identity_ldap.settings",
            check_password=services.check_password,
            status_notes=services.status_notes,
        )
    )
