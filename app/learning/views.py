"""Learning screens: catalog, course pages, taking lessons, My learning, authoring, enrollments, rules, team."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("learning", __name__)
