"""Signing in with the organisation's own identity provider: SAML 2.0, OpenID Connect and LDAP per
portal, home-realm discovery by email domain, just-in-time accounts, and the Sign-in admin page."""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask_babel import lazy_gettext as _l

if TYPE_CHECKING:
    from flask import Flask


def init_app(app: Flask) -> None:
    """Register identity: the provider routes, the Sign-in admin page, the sign-in page's ways in."""
    from app import navigation as nav
    from app import sealing
    from app.accounts import permissions as perms
    from app.accounts.views import register_sign_in_way
    from app.identity import (
        audit_sentences,  # noqa: F401 - the audit log's sentences
        ldap,
        models,
        oidc,
        saml,
        two_step,
        views,
        ways,
    )

    sealing.register(models.IdentityProvider, "secret_sealed", lambda row: row.secret_purpose)
    app.register_blueprint(views.bp)
    register_sign_in_way(ways.ProviderWays())
    oidc.init_app(app)
    ldap.init_app(app)
    saml.init_app(app)
    two_step.init_app(app)
    nav.register(
        app,
        nav.NavEntry(
            _l("Sign-in"),
            "identity.admin",
            "/admin/sign-in",
            nav.may(perms.INTEGRATIONS_MANAGE),
            nav.ADMIN,
            nav.PEOPLE,
            order=45,
        ),
    )
