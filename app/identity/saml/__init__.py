"""SAML 2.0 sign-in: each portal is its own service provider (pysaml2), with its own keys."""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask_babel import lazy_gettext as _l

if TYPE_CHECKING:
    from flask import Flask


def init_app(app: Flask) -> None:
    """Register the SAML kind, its routes, its sealed keys and the sign-out hook for single logout."""
    from app import sealing
    from app.identity import kinds
    from app.identity.saml import logout, models, services, signin, views

    sealing.register(models.SamlKey, "key_sealed", lambda row: row.key_purpose)
    app.register_blueprint(views.bp)
    app.before_request(logout.before_sign_out)
    kinds.register(
        kinds.Kind(
            key="saml",
            label=_l("SAML 2.0"),
            add_endpoint="saml.add",
            settings_endpoint="saml.settings",
            start=signin.start,
            status_notes=services.status_notes,
        )
    )
