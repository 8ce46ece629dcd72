"""CSV files people download and open in a spreadsheet: cells that cannot run as formulas."""

from __future__ import annotations

from typing import Any

# A spreadsheet runs a cell starting with one of these as a formula (CSV injection).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(value: object) -> str:
    """A cell a spreadsheet will not run as a formula (CSV injection): such text gets a leading quote."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def sql_csv_safe(text: Any) -> Any:
    """:func:`csv_safe` in SQL, for a text expression that PostgreSQL writes with ``COPY … (FORMAT csv)``.

    An empty text becomes NULL: ``COPY`` writes NULL as nothing, as Python's ``csv`` writes an empty
    string, and an empty string as ``""``, which it does not.
    """
    from sqlalchemy import case, func, literal

    return case(
        (func.left(text, 1).in_(FORMULA_START), literal("'") + text),
        else_=func.nullif(text, ""),
    )
