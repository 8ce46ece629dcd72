"""SCIM 2.0 provisioning (RFC 7643/7644): identity providers such as Entra ID and Okta create, change and
deactivate this portal's people and groups at /scim/v2 with a bearer token an admin created."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from flask import Flask

# Entra ID sends up to 25 requests a second and the bench aims at 100 creates a second: room for both.
DEFAULT_RATE_LIMIT = "12000 per minute; 300 per second"


def _panel() -> dict[str, Any]:
    from app.scim import services

    return {"tokens": services.list_tokens()}


def init_app(app: Flask) -> None:
    """Register /scim/v2, the token pages, the Integrations panel, ``flask scim`` and the audit sentences."""
    from flask import current_app

    from app.extensions import csrf, limiter
    from app.integrations import Panel, register_panel
    from app.scim import (
        api,
        audit_sentences,  # noqa: F401 - the audit log's sentences
        cli,
        models,  # noqa: F401 - the tables are known to migrations
        views,
    )

    app.config.setdefault("SCIM_RATE_LIMIT", os.environ.get("SCIM_RATE_LIMIT", DEFAULT_RATE_LIMIT))
    csrf.exempt(api.bp)
    if not getattr(api.bp, "_atrium_rate_limited", False):
        # The limiter and the blueprint live once per process while apps may be created several times (the
        # tests, a second worker app): a limit added per app would count each request once per app.
        limiter.limit(
            lambda: str(current_app.config["SCIM_RATE_LIMIT"]),
            key_func=api.rate_limit_key,
            on_breach=api.too_many,
        )(api.bp)
        api.bp._atrium_rate_limited = True  # type: ignore[attr-defined]
    app.register_blueprint(api.bp)
    from app.tenancy.web import SUSPENDED_ANSWERS

    SUSPENDED_ANSWERS[api.bp.name] = api.portal_suspended
    app.register_blueprint(views.bp)
    app.cli.add_command(cli.scim_group)
    register_panel(app, Panel("scim", 10, "scim/_panel.html", _panel))
