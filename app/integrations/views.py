"""The Integrations page."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, render_template

from app.accounts import permissions as perms
from app.accounts.access import require_permission
from app.integrations import panels

bp = Blueprint("integrations", __name__)


@bp.route("/admin/integrations")
@require_permission(perms.INTEGRATIONS_MANAGE)
def index() -> Any:
    shown = [(panel, panel.load()) for panel in panels(current_app)]
    return render_template("integrations/index.html", panels=shown)
