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

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ARRAY, Integer, any_, bindparam

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
