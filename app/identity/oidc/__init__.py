"""Sign in with OpenID Connect: per portal, one or more providers (Entra ID, Google Workspace, Okta
presets, or any provider by discovery URL or endpoints), the authorization code flow with PKCE."""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask_babel import lazy_gettext as _l

if TYPE_CHECKING:
    from flask import Flask


def init_app(app: Flask) -> None:
    """Register the OpenID Connect kind of identity provider and its pages."""
    from app.identity import kinds
    from app.identity.oidc import views

    app.register_blueprint(views.bp)
    kinds.register(
        kinds.Kind(
            key="oidc",
            label=_l("OpenID Connect"),
            add_endpoint="identity_oidc.add",
            settings_endpoint="identity_oidc.settings",
            start=views.start,
            status_notes=views.status_notes,
        )
    )
