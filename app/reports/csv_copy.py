"""CSV rows written by PostgreSQL: the report's own SELECT, its cells formatted in SQL, streamed by ``COPY``.

The statement is the one the report's page and its other exports run, with its filters, the viewer's
scope and the tenant criteria the session adds to every query; only its columns are swapped for their
cells as text (:mod:`app.reports.sql_cells`). ``COPY (SELECT …) TO STDOUT (FORMAT csv)`` then quotes the
cells as Python's ``csv`` writer does, row-level security still applies, and rows come as the server
produces them: constant memory at any size, and no Python work per cell.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import cache
from typing import Any

from app.extensions import db
from app.reports.base import Filters, Report, Scope, yes_no
from app.reports.sql_cells import SqlCells

#: CSV lines sent on at a time.
LINES_PER_CHUNK = 500


def copied_rows(
    report: Report, filters: Filters, scope: Scope, zone: Any
) -> Iterator[tuple[bytes, int]] | None:
    """The report's CSV lines in chunks (the bytes, how many lines), written by PostgreSQL; None when
    it cannot write them here (another database, a report shaped in Python, a zone it does not know)."""
    from app.tenancy.context import current_tenant_id
    from app.tenancy.scoping import sync_database_context, tenant_criteria

    session = db.session
    tenant_id = current_tenant_id()
    if session.get_bind().dialect.name != "postgresql" or tenant_id is None:
        return None
    statement = report.statement(filters, scope)
    cells = report.export_cells(list(statement.selected_columns), SqlCells(zone.key, yes_no()))
    if cells is None or not _known_zone(zone.key):
        return None
    statement = statement.with_only_columns(*cells, maintain_column_froms=True).options(
        tenant_criteria(tenant_id)
    )
    sql, params = _for_psycopg(statement)
    sync_database_context(session())
    driver = session.connection().connection.driver_connection
    if driver is None or driver.info.encoding != "utf-8":
        return None
    return _copy(driver, f"COPY ({sql}) TO STDOUT (FORMAT csv)", params)


def _copy(driver: Any, sql: str, params: dict[str, Any]) -> Iterator[tuple[bytes, int]]:
    with driver.cursor() as cursor:
        # Compiling the cells' expressions just in time cost the million-row export 2-5 s more than it
        # saved (EXPLAIN ANALYZE, PostgreSQL 15): off for the rest of this transaction, which ends with it.
        cursor.execute("SELECT set_config('jit', 'off', true)")
        yield from _read(cursor, sql, params)


def _read(cursor: Any, sql: str, params: dict[str, Any]) -> Iterator[tuple[bytes, int]]:
    # COPY sends a message per row, each ending in "\n" (a newline inside a cell is quoted within it);
    # Python's csv writer ends each line with "\r\n", so the last byte of each row is swapped for that.
    with cursor.copy(sql, params) as copy:
        lines: list[Any] = []
        for row in copy:
            lines.append(row[:-1])
            if len(lines) == LINES_PER_CHUNK:
                lines.append(b"")
                yield b"\r\n".join(lines), LINES_PER_CHUNK
                lines = []
        if lines:
            count = len(lines)
            lines.append(b"")
            yield b"\r\n".join(lines), count


def _for_psycopg(statement: Any) -> tuple[str, dict[str, Any]]:
    """*statement* compiled as the session would send it: its SQL and its values, each bound value through
    its type (moments to UTC) as an execution does."""
    dialect = db.session.get_bind().dialect
    compiled = statement.compile(dialect=dialect, compile_kwargs={"render_postcompile": True})
    values = compiled.construct_params(escape_names=False)
    params: dict[str, Any] = {}
    for key, value in values.items():
        bind = compiled.binds.get(key)
        processor = bind.type.dialect_impl(dialect).bind_processor(dialect) if bind is not None else None
        params[compiled.escaped_bind_names.get(key, key)] = processor(value) if processor else value
    return compiled.string, params


@cache
def _known_zone(name: str) -> bool:
    """Whether PostgreSQL knows the time zone *name* (its zone files and Python's may differ)."""
    from sqlalchemy import text

    found = db.session.execute(text("SELECT 1 FROM pg_timezone_names WHERE name = :name"), {"name": name})
    return found.first() is not None
