"""The inbox's one route: mark a message read or unread (the list itself is a section of My learning)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, redirect, request, url_for
from flask_login import current_user

from app.accounts.access import require_sign_in
from app.inbox import services
from app.learning.views import add_to_my_learning

bp = Blueprint("inbox", __name__, url_prefix="/inbox")

add_to_my_learning("inbox", services.messages_for)


@bp.route("/<int:message_id>/read", methods=["POST"])
@require_sign_in
def mark_read(message_id: int) -> Any:
    message = services.message_of(current_user, message_id)
    if message is None:
        abort(404)
    services.mark_read(message, read=request.form.get("read") != "0")
    return redirect(url_for("accounts.home") + "#inbox-heading")
