"""Authoring and administration: courses and lessons, paths, enrollments and enrolment rules.

One blueprint (``authoring``); its pages live in a module per topic, imported at the end so
that each registers its routes on ``bp``.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint

from app.accounts import permissions as perms
from app.accounts.access import require_any_permission, require_permission

bp = Blueprint("authoring", __name__, url_prefix="/admin")

AUTHOR = perms.CONTENT_AUTHOR
MANAGE = perms.CATALOG_MANAGE


def require_author(view: Any) -> Any:
    """Authors and catalog managers may build courses."""
    return require_permission(perms.LEARNING_TAKE)(require_any_permission(AUTHOR, MANAGE)(view))


# The topic modules register their routes on ``bp``: imported after it exists.
from app.learning.admin_views import courses, enrollments, lessons, paths, rules  # noqa: E402

__all__ = ["AUTHOR", "MANAGE", "bp", "courses", "enrollments", "lessons", "paths", "require_author", "rules"]
