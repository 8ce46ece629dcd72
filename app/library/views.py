"""Library screens: the platform console's packages and versions, and a tenant's deployed library courses."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("library", __name__)
