"""A report's cells written by PostgreSQL, to the byte what :func:`app.reports.base.cell` and the report's
``shape`` make of them in Python, formula-safe as :func:`app.csvcells.csv_safe` makes them.

The CSV export of a million rows spends its time formatting cells in Python (two moments in the portal's
time zone, a rounded score, nine formula checks a row); PostgreSQL does the same in C while it reads the
rows. ``tests/reports/test_csv_export.py`` holds the two to the same bytes for awkward cells.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    Integer,
    Numeric,
    String,
    Text,
    case,
    cast,
    func,
    literal,
    null,
)
from sqlalchemy.types import NullType, TypeDecorator

from app.csvcells import csv_safe, sql_csv_safe

# Below this, ten times a float is exact to well under half a unit (see SqlCells.tenth); a percentage
# never comes near. Above it (and for NaN) a cell holds PostgreSQL's own text of the float.
_PLAIN_FLOAT_LIMIT = 1e14


class SqlCells:
    """SQL for each kind of cell, in one portal's time zone and one language (words are bound values)."""

    def __init__(self, zone: str, yes_no: tuple[str, str]) -> None:
        self.zone = zone
        self.yes, self.no = yes_no

    def cell(self, column: Any) -> Any:
        """The cell of *column* as :func:`app.reports.base.cell` writes its value, formula-safe."""
        kind = column.type.impl if isinstance(column.type, TypeDecorator) else column.type
        if isinstance(kind, NullType):
            return null()
        if isinstance(kind, DateTime):
            return self.moment(column, aware=bool(kind.timezone))
        if isinstance(kind, Date):
            return func.to_char(column, "YYYY-MM-DD")
        if isinstance(kind, Boolean):
            return case((column.is_(True), self.word(self.yes)), (column.is_(False), self.word(self.no)))
        if isinstance(kind, Float):
            return self.tenth(column)
        if isinstance(kind, (Integer, Numeric)):
            return sql_csv_safe(cast(column, Text))
        if isinstance(kind, String):
            return sql_csv_safe(column)
        raise TypeError(f"no SQL cell for {column!r} of type {kind!r}")

    def moment(self, column: Any, *, aware: bool = True) -> Any:
        """A moment in the portal's time zone, to the minute (``2026-12-06 09:30``)."""
        utc = column if aware else func.timezone("UTC", column)  # naive columns hold UTC
        return func.to_char(func.timezone(literal(self.zone, String), utc), "YYYY-MM-DD HH24:MI")

    def word(self, text: str) -> Any:
        """A translated word as a bound value (formula-safe, empty as NULL)."""
        safe = csv_safe(text)
        return literal(safe, String) if safe else null()

    def label(self, column: Any, words: Mapping[str, Any]) -> Any:
        """:func:`app.labels.label`: the word for each known code, the code itself for any other."""
        whens = [(column == code, self.word(str(word))) for code, word in words.items()]
        return case(*whens, else_=sql_csv_safe(column)) if whens else sql_csv_safe(column)

    def tenth(self, column: Any) -> Any:
        """``round(x, 1)`` of Python, as ``str()`` writes it: correctly rounded from the float's exact
        binary value, ties to even, ``-0.0`` for a negative that rounds to nothing.

        ``x * 10`` is the exact sum of ``8x`` and ``2x`` (both exact); ``rint`` rounds the float sum, and
        the sum's rounding error (Knuth's two-sum, exact) settles the one case where that can be wrong: a
        float sum exactly halfway between two integers.
        """
        x = cast(column, Float)
        a, b = x * 8, x * 2
        y = a + b
        b_virtual = y - a
        a_virtual = y - b_virtual
        error = (a - a_virtual) + (b - b_virtual)
        nearest = func.round(y)  # float8 round is rint(): ties to even
        off = y - nearest
        tenths = nearest + case(((off == 0.5) & (error > 0), 1), ((off == -0.5) & (error < 0), -1), else_=0)
        text = cast(func.round(cast(cast(tenths, BigInteger), Numeric) / 10, 1), Text)
        negative_zero = (tenths == 0) & ((x < 0) | (cast(x, Text) == "-0"))
        return case(
            (column.is_(None), null()),
            (~(func.abs(x) < _PLAIN_FLOAT_LIMIT), sql_csv_safe(cast(x, Text))),
            (negative_zero, literal("'-0.0")),
            else_=sql_csv_safe(text),
        )
