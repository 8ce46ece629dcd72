"""The audit log: ``audit.record(action, target=..., before=..., after=...)``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from app.audit.services import record
from app.audit.verification import verify_chain

if TYPE_CHECKING:
    from flask import Flask

__all__ = ["init_app", "record", "verify_chain"]


def init_app(app: Flask) -> None:
    """Register the audit log's table, the request's actor and ``flask audit``.

    The log's page is an admin screen of accounts. Registered after tenancy's request hook: the actor is
    known once the tenant (and so the session) is.
    """
    from app.audit import (
        cli,
        models,  # noqa: F401 - the table
        web,
    )

    web.init_app(app)
    app.cli.add_command(cli.audit_group)
