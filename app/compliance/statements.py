"""The compliance statements built once and run many times: a team's ids, today's dates are parameters.

My team counts a whole team's items in one ``UNION ALL`` of a SELECT per item source, policy and
certification, then reads the page's people's items: building those statements in SQLAlchemy costs
more Python than the rest of the page. What a statement says depends only on the database, the
tenant's required policies and certifications (their titles, versions, due dates and audiences) and
what is asked; the people and the dates are bound when it runs (:data:`IDS` and the names of
:func:`day_parameters`). So each statement is kept here under a key naming all it depends on: a policy
or certification that changes makes a new key (the old statement is no longer asked for and is
dropped once :data:`LIMIT` newer ones are kept), never a stale statement.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Sequence
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from psycopg.sql import Literal as sql_literal
from sqlalchemy import ARRAY, Integer, any_, bindparam

from app.db_types import id_array
from app.extensions import db

#: The parameter a cached statement's people are bound to.
IDS = "ids"
#: Statements kept (a few per tenant: the ranking, the page's items, the audiences).
LIMIT = 256

_kept: OrderedDict[Hashable, Any] = OrderedDict()
_lock = threading.Lock()


def dialect_name() -> str:
    return db.session.get_bind().dialect.name


def ids_in(column: Any) -> Any:
    """*column* is one of the ids bound as :data:`IDS` (a list): on PostgreSQL one array, else ``IN``."""
    if dialect_name() == "postgresql":
        return column == any_(bindparam(IDS, type_=ARRAY(Integer)))
    return column.in_(bindparam(IDS, expanding=True))


def cached(key: tuple[Hashable, ...], build: Callable[[], Any]) -> Any:
    """The statement kept under *key* for this database and tenant, built by *build* the first time."""
    from app.tenancy.context import current_tenant_id

    full_key = (dialect_name(), current_tenant_id(), *key)
    with _lock:
        found = _kept.get(full_key)
        if found is not None:
            _kept.move_to_end(full_key)
            return found
    built = build()
    with _lock:
        _kept[full_key] = built
        while len(_kept) > LIMIT:
            _kept.popitem(last=False)
    return built


def rows(key: tuple[Hashable, ...], build: Callable[[], Any], parameters: dict[str, Any]) -> Sequence[Any]:
    """The rows of the statement kept under *key* (see :func:`cached`), run with *parameters*.

    On PostgreSQL its SQL is compiled once, scoped to the tenant as every ORM read is
    (:func:`app.tenancy.scoping.tenant_criteria`), and sent as it is: SQLAlchemy's run of even a kept
    statement matches each of its dozens of bound values (a tenant id repeated for every table of a
    ``UNION ALL`` of six SELECTs) to the compiled one, hundreds of calls a statement. Elsewhere (SQLite
    expands the people's ids into an ``IN`` list) and outside a tenant, the session runs it.
    """
    from app.tenancy import context
    from app.tenancy.scoping import sync_database_context

    ctx = context.current()
    if ctx.tenant_id is None or ctx.unscoped or dialect_name() != "postgresql":
        return db.session.execute(cached(key, build), parameters).all()
    tenant_id = ctx.tenant_id
    sql, constants, processors = cached(
        ("compiled", *key), lambda: _compiled(cached(key, build), tenant_id, parameters)
    )
    values = {**constants, **parameters}
    for name, process in processors:
        values[name] = process(values[name])
    ids = values.get(IDS)
    if isinstance(ids, list):
        values[IDS] = id_array(ids)  # the SQL casts it (``%(ids)s::INTEGER[]``) as it does a list
    if db.session.autoflush:
        db.session.flush()  # as the session's own run would: what this request added is read back
    sync_database_context(db.session())  # the row-level security setting, as for every ORM statement
    return db.session.connection().exec_driver_sql(sql, values).all()


def _compiled(statement: Any, tenant_id: int, parameters: dict[str, Any]) -> tuple[str, dict[str, Any], Any]:
    """*statement* limited to *tenant_id*'s rows, compiled: its SQL, the values it binds whatever the run
    (processed for the driver), and the processors of those given at each run (*parameters* names them)."""
    from app.tenancy.scoping import tenant_criteria

    compiled = statement.options(tenant_criteria(tenant_id)).compile(dialect=db.session.get_bind().dialect)
    # A list of constants (``IN ('manual', 'rule', 'manager')``) becomes as many parameters once, here.
    expanded = compiled.construct_expanded_state(parameters)
    process = expanded.processors
    constants: dict[str, Any] = {}
    written: dict[str, str] = {}
    driver = db.session.connection().connection.driver_connection
    for name, value in expanded.parameters.items():
        if name in parameters:
            continue
        if name in process:
            value = process[name](value)
        literal = _literal(value, driver)
        if literal is None:
            constants[name] = value
        else:
            written[name] = literal

    def put(found: re.Match[str]) -> str:
        # "%%" is a percent sign of the SQL itself; the text written in is never read again.
        name = found.group(1)
        return found.group(0) if name is None or name not in written else written[name]

    # Written into the SQL rather than bound: a statement this long is not among the driver's cached
    # conversions, and it finds each of its parameters again on every run.
    sql = _PLACEHOLDER.sub(put, expanded.statement)
    given = tuple((name, process[name]) for name in parameters if name in process)
    return sql, constants, given


# A placeholder of the compiled SQL, or an escaped percent sign, which must not be taken for one.
_PLACEHOLDER = re.compile(r"%%|%\((\w+)\)s")


def _literal(value: Any, driver: Any) -> str | None:
    """*value* as a SQL literal for a text with ``%(name)s`` parameters (its percent signs doubled), quoted
    by the driver itself; None for what is left bound (anything but a boolean, a whole number or text)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if type(value) is int:
        return str(value)
    if type(value) is str and "\x00" not in value:
        # psycopg quotes as it would send the value (escaping quotes and backslashes for this server), and
        # PostgreSQL infers an untyped literal's type as it does a bound text parameter's.
        return sql_literal(value).as_string(driver).replace("%", "%%")
    return None


def clear() -> None:
    """Forget every kept statement (tests)."""
    with _lock:
        _kept.clear()


def kept_count() -> int:
    with _lock:
        return len(_kept)


def day_parameters(today: date, soon: int, zone: ZoneInfo) -> dict[str, Any]:
    """The dates a status is read against, by parameter name: today, the last day "due soon", and the
    UTC instants the portal's tomorrow and the day after "expiring" begin."""
    from datetime import UTC

    def start(day: date) -> datetime:
        return datetime.combine(day, time(), zone).astimezone(UTC)

    return {
        "today": today,
        "soon_until": today + timedelta(days=soon),
        "tomorrow": start(today + timedelta(days=1)),
        "past_soon": start(today + timedelta(days=soon + 1)),
    }
