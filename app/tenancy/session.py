"""The session that routes the platform path to the platform database role.

A transaction runs on one connection. It begins on the platform role's engine when the platform
path is open (``tenancy.unscoped``, ``tenancy.platform_writes``, a tenant-less job, a console
request) and on the application role's engine otherwise, and keeps that engine until it ends.
Without ``PLATFORM_DATABASE_URL`` (SQLite, or a single-role set-up) there is one engine.
"""

from __future__ import annotations

from contextvars import ContextVar
from typing import Any

from flask_sqlalchemy.session import Session as FlaskSession
from sqlalchemy import event, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session, SessionTransaction

PLATFORM_BIND = "platform"
_ENGINE_KEY = "atrium_engine"
# How many times the session rolled back: objects put back after a block are expired if it changed.
ROLLBACKS_KEY = "atrium_rollbacks"

# The reason the platform path is open in this context (None when it is not); set by tenancy.context.
platform_reason: ContextVar[str | None] = ContextVar("atrium_platform_path", default=None)


def platform_path_open() -> bool:
    """Whether this context runs on the platform path (its transactions use the platform role)."""
    return platform_reason.get() is not None


class PlatformTransactionError(RuntimeError):
    """The platform path was opened in a transaction that already wrote as the application role."""


class TenancySession(FlaskSession):
    """A Flask-SQLAlchemy session whose transactions use the platform role on the platform path."""

    def get_bind(
        self,
        mapper: Any | None = None,
        clause: Any | None = None,
        bind: Engine | Connection | None = None,
        **kwargs: Any,
    ) -> Engine | Connection:
        if bind is not None:
            return bind
        pinned = self.info.get(_ENGINE_KEY)
        if pinned is not None:
            return pinned
        platform = self._db.engines.get(PLATFORM_BIND)
        if platform is not None and platform_path_open():
            return platform
        return super().get_bind(mapper, clause, bind, **kwargs)


def platform_engine() -> Engine:
    """The engine of the platform role (the application's own engine when none is configured)."""
    from app.extensions import db

    return db.engines.get(PLATFORM_BIND) or db.engine


def on_platform_role(session: Session) -> bool:
    """Whether *session*'s current transaction runs as the platform role."""
    from app.extensions import db

    platform = db.engines.get(PLATFORM_BIND)
    return platform is not None and session.info.get(_ENGINE_KEY) is platform


def move_to_platform(session: Session) -> None:
    """Let the rest of *session*'s work run as the platform role.

    A transaction the application role began and that wrote nothing (PostgreSQL assigns a
    transaction id at the first write or row lock) is ended here, so the next statement begins
    one as the platform role; one that wrote cannot change role, and raises.
    """
    from app.extensions import db

    platform = db.engines.get(PLATFORM_BIND)
    pinned = session.info.get(_ENGINE_KEY)
    if platform is None or pinned is None or pinned is platform:
        return
    wrote = session.connection().scalar(text("SELECT pg_current_xact_id_if_assigned() IS NOT NULL"))
    if wrote:
        raise PlatformTransactionError(
            "the platform path was opened in a transaction that already wrote as the application "
            "role: commit the tenant's work first, or open the platform path before it"
        )
    session.commit()


@event.listens_for(Session, "after_begin")
def _pin_engine(session: Session, transaction: SessionTransaction, connection: Connection) -> None:
    session.info.setdefault(_ENGINE_KEY, connection.engine)


@event.listens_for(Session, "after_transaction_end")
def _unpin_engine(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:
        session.info.pop(_ENGINE_KEY, None)


@event.listens_for(Session, "after_rollback")
def _count_rollback(session: Session) -> None:
    session.info[ROLLBACKS_KEY] = session.info.get(ROLLBACKS_KEY, 0) + 1
