"""Friendly error pages; a 404 never says whether a tenant or object exists."""

from __future__ import annotations

import logging

from flask import Flask, g, render_template
from flask_wtf.csrf import CSRFError

log = logging.getLogger("atrium.errors")


def register_error_pages(app: Flask) -> None:
    @app.errorhandler(404)
    def not_found(exc):
        return render_template("errors/not_found.html"), 404

    @app.errorhandler(403)
    def forbidden(exc):
        return render_template("errors/forbidden.html"), 403

    @app.errorhandler(405)
    def method_not_allowed(exc):
        return render_template("errors/not_found.html"), 405

    @app.errorhandler(CSRFError)
    def csrf_error(exc):
        return render_template("errors/csrf.html"), 400

    @app.errorhandler(429)
    def too_many(exc):
        return render_template("errors/too_many.html"), 429

    @app.errorhandler(500)
    def server_error(exc):
        log.error("request.failed", extra={"request_id": g.get("request_id")})
        return render_template("errors/server_error.html", request_id=g.get("request_id")), 500
