"""Column types shared by every feature's models, and how a list of ids is bound as one value."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator


class UtcDateTime(TypeDecorator[datetime]):
    """A moment in time, stored in UTC and always read back as an aware UTC datetime.

    PostgreSQL keeps the offset (``timestamp with time zone``); SQLite has no time zones and hands
    back naive datetimes, which are UTC because this type only ever stores UTC. A naive value
    written by the application is taken to be UTC already. The DDL stays ``DateTime(timezone=True)``.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        if isinstance(value, datetime):
            return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
        return value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def id_array(ids: Iterable[int]) -> str:
    """*ids* in PostgreSQL's text form of an array (``{1,2,3}``), for a parameter the SQL casts to one.

    psycopg writes a list into an array element by element in Python, five calls an id: a team of 250
    costs over a thousand calls for each statement that binds it. This text is joined in C; int() keeps
    it whole numbers whatever the caller hands in.
    """
    return "{" + ",".join(map(str, map(int, ids))) + "}"
