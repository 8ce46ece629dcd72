"""What a process builds once and keeps (a layout's addresses, the menus a set of permissions opens), bounded.

A table of such things has few keys in practice (hosts, themes, roles); a table that reaches its limit
is emptied and starts again, so an unexpected number of keys costs rebuilding, never memory.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import TypeVar

V = TypeVar("V")


def kept(table: dict[Hashable, V], key: Hashable, build: Callable[[], V], limit: int = 1_000) -> V:
    """``table[key]``, made by *build()* the first time (and again after the table was emptied)."""
    found = table.get(key)
    if found is None:
        if len(table) >= limit:
            table.clear()
        table[key] = found = build()
    return found
