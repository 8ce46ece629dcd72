"""Crews without email on a shared device: employee ID or printed QR badge plus a PIN, a session that
forgets the person after a few idle minutes, and the managers' pages to print badges and set PINs."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask


def shared_device_idle_seconds() -> int:
    """Seconds of idleness after which this shared-device session ends; 0 when it is no such session."""
    from flask_login import current_user

    if not current_user or not current_user.is_authenticated:
        return 0
    user_session = current_user.current_session
    minutes = user_session.shared_idle_minutes if user_session is not None else None
    return int(minutes or 0) * 60


def init_app(app: Flask) -> None:
    """Register crew sign-in: /crew, the badge pages (linked from My team), the shared-device bar."""
    from app.accounts.views import register_sign_in_way
    from app.crew import models, views, ways  # noqa: F401  (models: the tables are known to migrations)

    app.register_blueprint(views.bp)
    app.before_request(views.ask_for_a_pin_first)
    register_sign_in_way(ways.CrewWay())
    app.add_template_global(shared_device_idle_seconds)
