"""Certifications that expire and renew: requirements, people's records, the sweep, reminders."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask


def init_app(app: Flask) -> None:
    """Register certifications: tables, subscribers, audit sentences, pages, ``flask certifications``."""
    from app.certifications import (
        audit_sentences,  # noqa: F401 - the audit log's sentences
        cli,
        models,  # noqa: F401 - the tables
        subscribers,  # noqa: F401 - work done re-evaluates certifications; audiences start them
    )

    app.cli.add_command(cli.certifications_group)
