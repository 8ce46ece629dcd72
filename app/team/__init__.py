"""A manager's team: the people they reach, what each must do, their learning records, and assigning."""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask_babel import lazy_gettext as _l

if TYPE_CHECKING:
    from flask import Flask


def init_app(app: Flask) -> None:
    """Register My team: its pages and its navigation entry."""
    from app import navigation as nav
    from app.accounts import permissions as perms
    from app.team import views

    app.register_blueprint(views.bp)
    nav.register(app, nav.NavEntry(_l("My team"), "team.index", "/team", nav.may(perms.TEAM_VIEW), order=30))
