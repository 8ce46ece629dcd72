"""Question banks, quizzes, attempts graded on the server, and practical checkpoints that gate progress."""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask_babel import lazy_gettext as _l

if TYPE_CHECKING:
    from flask import Flask


def init_app(app: Flask) -> None:
    """Register assessments: their lesson kinds, quizzes, authoring, sign-offs, ``flask assessments``."""
    from app import navigation as nav
    from app.accounts import permissions as perms
    from app.assessments import (
        admin_views,
        checkpoint_views,
        cli,
        lesson_kinds,  # noqa: F401 - registers the quiz and checkpoint lessons
        models,  # noqa: F401 - the tables
        views,
    )

    app.register_blueprint(admin_views.bp)
    app.register_blueprint(views.bp)
    app.register_blueprint(checkpoint_views.bp)
    app.cli.add_command(cli.assessments_group)
    nav.register(
        app,
        nav.NavEntry(
            _l("Quizzes"),
            "assessment_admin.quizzes",
            "/admin/quizzes",
            nav.may(perms.PLATFORM_LIBRARY),
            portals=(nav.PLATFORM,),
            order=30,
        ),
        nav.NavEntry(
            _l("Quizzes"),
            "assessment_admin.quizzes",
            "/admin/quizzes",
            nav.may_any(perms.CONTENT_AUTHOR, perms.CATALOG_MANAGE),
            nav.ADMIN,
            nav.LEARNING,
            order=30,
        ),
    )
