"""Pooled PostgreSQL connections are checked before each use, without a round trip while they are busy.

SQLAlchemy's ``pool_pre_ping`` sends a statement to the server each time a request takes a
connection from the pool: one more round trip on every request, a sixth of what a light page sends.
A server that ends a connection (a restart, a failover, ``pg_terminate_backend``, an idle reaper)
says so: it sends an error and closes the socket, which then reads as ready while the connection
sits idle in the pool. So a connection taken from the pool is pinged, exactly as ``pool_pre_ping``
does, only when its socket has something to read or it has been idle for more than
:data:`IDLE_PING_SECONDS` (a firewall may have forgotten it without a word); otherwise it is used
as it is. A failed ping invalidates the whole pool, as ``pool_pre_ping`` does.

SQLite has no server and keeps SQLAlchemy's own check. Its ``lower()`` folds only the letters A to Z, so
every SQLite connection gets Python's instead: a search for "ética" or "übung" (lowercased in Python) finds
"Ética" and "Übung", as on PostgreSQL. No index or constraint of the schema is built on ``lower()``.
"""

from __future__ import annotations

import select
import sqlite3
import time
from typing import Any

from flask import Flask
from sqlalchemy import event, exc
from sqlalchemy.engine import Engine, make_url

IDLE_PING_SECONDS = 30.0
_LAST_USED = "atrium_last_used"


def _lower(text: Any) -> Any:
    return text.lower() if isinstance(text, str) else text


@event.listens_for(Engine, "connect")
def _sqlite_lower_folds_every_letter(dbapi_connection: Any, record: Any) -> None:
    if isinstance(dbapi_connection, sqlite3.Connection):
        dbapi_connection.create_function("lower", 1, _lower, deterministic=True)


def _is_postgresql(url: str | None) -> bool:
    return bool(url) and make_url(str(url)).get_backend_name() == "postgresql"


def engine_options(config: dict[str, Any]) -> None:
    """Turn SQLAlchemy's ping on every checkout off for PostgreSQL; :func:`init_app` checks instead."""
    if _is_postgresql(config.get("SQLALCHEMY_DATABASE_URI")):
        config["SQLALCHEMY_ENGINE_OPTIONS"] = {
            **config.get("SQLALCHEMY_ENGINE_OPTIONS", {}),
            "pool_pre_ping": False,
        }


def _has_something_to_read(dbapi_connection: Any) -> bool:
    """Whether the server sent anything to this idle connection (an error before it closed, or EOF)."""
    poll = select.poll()
    poll.register(dbapi_connection.fileno(), select.POLLIN | select.POLLPRI)
    return bool(poll.poll(0))


def _check_on_checkout(engine: Engine) -> None:
    dialect = engine.dialect

    @event.listens_for(engine, "connect")
    def _fresh(dbapi_connection: Any, record: Any) -> None:
        record.info[_LAST_USED] = time.monotonic()

    @event.listens_for(engine, "checkin")
    def _used(dbapi_connection: Any, record: Any) -> None:
        record.info[_LAST_USED] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _check(dbapi_connection: Any, record: Any, proxy: Any) -> None:
        last_used = record.info.get(_LAST_USED)
        try:
            if (
                last_used is not None
                and time.monotonic() - last_used < IDLE_PING_SECONDS
                and not dbapi_connection.closed
                and not _has_something_to_read(dbapi_connection)
            ):
                return
            dialect.do_ping(dbapi_connection)
        except Exception as error:  # the connection is gone: replace every pooled one, as pre-ping does
            raise exc.InvalidatePoolError(f"connection lost while in the pool: {error!r}") from error


def init_app(app: Flask) -> None:
    """Check each PostgreSQL engine's connections when they leave the pool (after ``db.init_app``)."""
    from app.extensions import db

    with app.app_context():
        for engine in db.engines.values():
            if engine.dialect.name == "postgresql":
                _check_on_checkout(engine)
