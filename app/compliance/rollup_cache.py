"""The whole tenant's compliance counts per unit, counted at most once a minute and shared by every page.

Counting everyone (a hundred thousand people against their overdue enrolments, unsigned policies and
lapsed certifications) takes the database about half a second or more; the figures barely move from
one minute to the next, and an admin comparing locations opens the page again and again (each view,
each page of the list, each location's trend). So the counts of the people placed directly in each
unit are kept for :data:`DEFAULT_SECONDS` (``COMPLIANCE_ROLLUP_CACHE_SECONDS``; 0: always count),
per tenant and portal day, with the moment they were counted: the page says "as of" that time and
offers to count again now. A new day counts afresh (overdue and expired move at midnight).

Where they are kept: Redis when ``REDIS_URL`` is set (every web process shares one count), else this
process's memory. Redis out of reach: counted here, uncached, as if there were no cache.
A manager's own few units are never read from here: they are counted live on each view.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from flask import current_app, has_app_context

log = logging.getLogger("atrium.compliance.rollup")

DEFAULT_SECONDS = 60
#: A refresh asked for within this many seconds of the last count is answered with that count.
REFRESH_AFTER_SECONDS = 5
REDIS_KEY_PREFIX = "atrium:compliance-rollup:"
_MAX_ENTRIES = 1_000
_EXTENSION = "atrium.compliance_rollup_cache"


@dataclass(frozen=True)
class Figures:
    """The counts of the people placed directly in each unit (None: in no unit), and when counted.

    Each unit's counts: people, compliant, overdue, expired, expiring (``rollup.Counts`` in that order).
    """

    direct: dict[int | None, tuple[int, ...]]
    as_of: datetime  # UTC


def _seconds() -> int:
    if not has_app_context():
        return 0
    return int(current_app.config.get("COMPLIANCE_ROLLUP_CACHE_SECONDS", DEFAULT_SECONDS) or 0)


class _Store:
    """Figures by key for a number of seconds: in Redis, or in this process."""

    def __init__(self, redis_url: str | None) -> None:
        self._redis: Any = None
        if redis_url:
            from redis import Redis

            self._redis = Redis.from_url(redis_url, socket_connect_timeout=0.5, socket_timeout=0.5)
        self._entries: dict[str, tuple[float, Figures]] = {}
        self._lock = threading.Lock()

    def get(self, key: str) -> Figures | None:
        if self._redis is None:
            entry = self._entries.get(key)
            return entry[1] if entry is not None and entry[0] > time.monotonic() else None
        from redis import RedisError

        try:
            raw = self._redis.get(REDIS_KEY_PREFIX + key)
        except RedisError as error:
            log.warning("compliance roll-up cache unavailable: %s", error)
            return None
        return None if raw is None else _loads(raw)

    def put(self, key: str, figures: Figures, seconds: int) -> None:
        if self._redis is None:
            with self._lock:
                if len(self._entries) >= _MAX_ENTRIES:
                    self._entries.clear()
                self._entries[key] = (time.monotonic() + seconds, figures)
            return
        from redis import RedisError

        try:
            self._redis.set(REDIS_KEY_PREFIX + key, _dumps(figures), ex=seconds)
        except RedisError as error:
            log.warning("compliance roll-up cache unavailable: %s", error)


def _dumps(figures: Figures) -> str:
    rows = [[unit_id, *counts] for unit_id, counts in figures.direct.items()]
    return json.dumps({"as_of": figures.as_of.isoformat(), "rows": rows}, separators=(",", ":"))


def _loads(raw: bytes | str) -> Figures:
    data = json.loads(raw)
    return Figures({row[0]: tuple(row[1:]) for row in data["rows"]}, datetime.fromisoformat(data["as_of"]))


def _store() -> _Store:
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    store: _Store | None = app.extensions.get(_EXTENSION)
    if store is None:
        store = app.extensions.setdefault(_EXTENSION, _Store(app.config.get("REDIS_URL")))
    return store


def whole_tenant(
    tenant_key: str,
    today: date,
    count: Callable[[], dict[int | None, tuple[int, ...]]],
    *,
    refresh: bool = False,
) -> Figures:
    """The figures of the tenant *tenant_key* on *today*: kept ones younger than the cache's time, else
    *count()* now (and kept). *refresh*: count again unless the kept ones are only seconds old."""
    seconds = _seconds()
    if seconds <= 0:
        return Figures(count(), datetime.now(UTC))
    store = _store()
    key = f"{tenant_key}:{today.isoformat()}"
    kept = store.get(key)
    if kept is not None:
        age = (datetime.now(UTC) - kept.as_of).total_seconds()
        if not refresh or age < REFRESH_AFTER_SECONDS:
            return kept
    as_of = datetime.now(UTC)  # before counting: the figures are at least as recent as this
    figures = Figures(count(), as_of)
    store.put(key, figures, seconds)
    return figures
