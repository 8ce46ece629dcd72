"""Health and readiness endpoints for load balancers and orchestrators."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask


def init_app(app: Flask) -> None:
    """Register ``/healthz`` and ``/readyz``."""
    from app.ops import views

    app.register_blueprint(views.bp)
