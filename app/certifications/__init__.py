"""Certifications that expire and renew: requirements, people's records, the sweep, reminders."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask


def init_app(app: Flask) -> None:
    """Register certifications: the tables, events they listen to, the admin and learner pages, ``flask certifications``."""
    from app.certifications import models  # noqa: F401 - the tables
