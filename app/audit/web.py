"""Per-request audit context: who is acting and from where, for every entry a request records."""

from __future__ import annotations

from flask import Flask
from flask.globals import _cv_app, _cv_request
from flask_login import current_user

from app.actors import Actor, reset_actor, set_actor


def init_app(app: Flask) -> None:
    """Register after tenancy's hooks: the actor is known once the tenant (and so the session) is."""

    @app.before_request
    def _set_actor() -> None:
        # ``g`` and the request read from their contexts once, not through a proxy for each value.
        app_g = _cv_app.get().g.__dict__
        if app_g.get("tenant") is None:  # a host-less endpoint (health checks, static files)
            return
        request = _cv_request.get().request
        user = current_user._get_current_object()  # once: each read through the proxy finds it again
        if not user.is_authenticated:
            user = None
        app_g["actor_token"] = set_actor(
            Actor(
                type="user" if user else "anonymous",
                id=user.id if user else None,
                label=(user.email or user.contact) if user else None,
                ip=request.remote_addr,
                user_agent=request.user_agent.string or None,
                request_id=app_g.get("request_id"),
            )
        )

    @app.teardown_request
    def _reset_actor(exc: BaseException | None) -> None:
        token = _cv_app.get().g.__dict__.pop("actor_token", None)
        if token is not None:
            reset_actor(token)
