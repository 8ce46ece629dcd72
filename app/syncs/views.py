"""HR sync pages: sources, runs and their diffs, under Admin → Integrations."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("syncs", __name__)
