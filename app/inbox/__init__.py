"""An inbox on My learning for people without an email address: what others are emailed, they read here."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask


def init_app(app: Flask) -> None:
    """Register the inbox: its read/unread route and its section of My learning."""
    from app import mail
    from app.inbox import models, services, views  # noqa: F401  (models: the table is known to migrations)

    app.register_blueprint(views.bp)
    mail.deliver_without_address(services.deliver)
