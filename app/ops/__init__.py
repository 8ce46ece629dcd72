"""Health and readiness endpoints for load balancers and orchestrators."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask


def init_app(app: Flask) -> None:
    """Register ``/readyz``, and ``/healthz`` answered where requests enter, before the app's machinery."""
    from app.ops import liveness, views

    app.register_blueprint(views.bp)
    app.wsgi_app = liveness.AnswerLiveness(app.wsgi_app)  # type: ignore[method-assign]
