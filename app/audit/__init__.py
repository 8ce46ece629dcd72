"""The audit log: ``audit.record(action, target=..., before=..., after=...)``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from app.audit.services import record
from app.audit.verification import verify_chain

if TYPE_CHECKING:
    from flask import Flask

__all__ = ["init_app", "record", "verify_chain"]


def init_app(app: Flask) -> None:
    """Register the audit log's table and ``flask audit``; the log's page is an admin screen of accounts."""
    from app.audit import (
        cli,
        models,  # noqa: F401 - the table
    )

    app.cli.add_command(cli.audit_group)
