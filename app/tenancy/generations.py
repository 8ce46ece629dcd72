"""Counts kept per process and tenant, tagged with a **generation** of the tenant that a change moves on.

A page whose figures are costly to count (the catalog's filters, a policy's totals over every person)
keeps them in each process by (tenant, key), tagged with the generation read before the query, as the
tenant cache does (app/tenancy/cache.py, docs/decisions/0010). An entry tagged with another generation,
or read more than ``MAX_AGE_SECONDS`` ago, is counted again.

A generation is two counters, the tenant's own and one for every tenant: any commit that wrote a row of
the watched classes moves the tenant's on after the commit (a bulk ORM ``INSERT``/``UPDATE``/``DELETE``
of them too: the tenant in context's, or the all-tenants one when unscoped). The counters live where the
tenant generation does: Redis keys ``<prefix><tenant id>`` and ``<prefix>all`` when ``REDIS_URL`` is set,
else files of the instance folder (``instance/<folder>/<tenant id>`` and ``.../all``), so every process
sees a change at its next page.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from flask import Flask, current_app, has_app_context
from sqlalchemy import event, inspect
from sqlalchemy.orm import ORMExecuteState, Session

from app.tenancy import context
from app.tenancy.cache import FileGeneration, RedisGeneration

ALL_TENANTS = "all"
MAX_AGE_SECONDS = 300.0
MAX_ENTRIES = 10_000

Kept = TypeVar("Kept")


class TenantGenerations:
    """Each tenant's generation and the all-tenants one, in Redis (keys from *redis_prefix*) or in files."""

    def __init__(self, app: Flask, redis_prefix: str, folder: str) -> None:
        self._sources: dict[str, RedisGeneration | FileGeneration] = {}
        self._lock = threading.Lock()
        self._redis: Any = None
        self._prefix = redis_prefix
        self._folder = Path(app.instance_path) / folder
        if url := app.config.get("REDIS_URL"):
            from redis import Redis

            self._url = url
            self._redis = Redis.from_url(url, socket_connect_timeout=0.5, socket_timeout=0.5)

    def _source(self, name: str) -> RedisGeneration | FileGeneration:
        source = self._sources.get(name)
        if source is None:
            with self._lock:
                source = self._sources.get(name)
                if source is None:
                    if self._redis is not None:
                        source = RedisGeneration(self._url, self._prefix + name, redis=self._redis)
                    else:
                        source = FileGeneration(self._folder / name)
                    self._sources[name] = source
        return source

    def read(self, tenant_id: int) -> Hashable | None:
        everyone = self._source(ALL_TENANTS).read()
        own = self._source(str(tenant_id)).read()
        return None if everyone is None or own is None else (everyone, own)

    def advance(self, tenant_id: int | None) -> None:
        self._source(ALL_TENANTS if tenant_id is None else str(tenant_id)).advance()


@dataclass(frozen=True)
class _Entry:
    generation: Hashable
    read_at: float
    value: Any


class GenerationCache:
    """One process's values by (tenant, key), each used while its tenant's generation is unchanged.

    Values must be immutable: every page of the process gets the same object.
    """

    def __init__(self, app: Flask, redis_prefix: str, folder: str) -> None:
        self.generations = TenantGenerations(app, redis_prefix, folder)
        self._entries: dict[Hashable, _Entry] = {}
        self._lock = threading.Lock()

    def get(self, tenant_id: int, key: Hashable, count: Callable[[], Kept]) -> Kept:
        """What *count()* finds for *key* in *tenant_id*: kept while the tenant's generation is unchanged."""
        generation = self.generations.read(tenant_id)  # before the query: a change after it is seen next time
        if generation is None:
            return count()
        key = (tenant_id, key)
        entry = self._entries.get(key)
        now = time.monotonic()
        if entry is not None and entry.generation == generation and now - entry.read_at < MAX_AGE_SECONDS:
            kept: Kept = entry.value
            return kept
        value = count()
        with self._lock:
            if len(self._entries) >= MAX_ENTRIES:
                self._entries.clear()
            self._entries[key] = _Entry(generation, now, value)
        return value

    def advance(self, tenant_id: int | None) -> None:
        """What *tenant_id* (None: any tenant) counts changed: count its values again, in every process."""
        with self._lock:
            self._entries.clear()
        self.generations.advance(tenant_id)


# -- a change moves the tenant's generation on, once it is committed ------------------------------------


@dataclass(frozen=True)
class _Watch:
    extension: str  # the app.extensions name of the GenerationCache to advance
    #: The classes whose writes move the generation on, each with the columns whose change matters
    #: (None: any column). A new or deleted row always matters.
    classes: Mapping[type, tuple[str, ...] | None]

    @property
    def changed_key(self) -> str:
        return f"{self.extension}.changed"


_WATCHES: list[_Watch] = []


def watch_writes(extension: str, classes: Mapping[type, tuple[str, ...] | None]) -> None:
    """After a commit that wrote a row of *classes*, advance ``app.extensions[extension]``'s generation."""
    _WATCHES.append(_Watch(extension, dict(classes)))


def _changed(session: Session, watch: _Watch) -> set[int | None]:
    found: set[int | None] = session.info.setdefault(watch.changed_key, set())
    return found


def _matters(session: Session, obj: object, columns: tuple[str, ...] | None) -> bool:
    if obj not in session.dirty:
        return True  # new or deleted
    if columns is None:
        return session.is_modified(obj)
    attrs = inspect(obj).attrs
    return any(attrs[name].history.has_changes() for name in columns)


@event.listens_for(Session, "before_flush")
def _note_writes(session: Session, flush_context: Any, instances: Any) -> None:
    if not _WATCHES:
        return
    for obj in (*session.new, *session.deleted, *session.dirty):
        for watch in _WATCHES:
            columns = watch.classes.get(type(obj), ())
            if columns != () and _matters(session, obj, columns):
                # A new row may not have its tenant stamped yet: it is written as the tenant in context.
                _changed(session, watch).add(getattr(obj, "tenant_id", None) or context.current_tenant_id())


@event.listens_for(Session, "do_orm_execute")
def _note_bulk_writes(state: ORMExecuteState) -> None:
    if not (state.is_update or state.is_delete or state.is_insert):
        return
    classes = {m.class_ for m in state.all_mappers}
    for watch in _WATCHES:
        if classes.intersection(watch.classes):
            ctx = context.current()
            _changed(state.session, watch).add(None if ctx.unscoped else ctx.tenant_id)


@event.listens_for(Session, "after_commit")
def _advance_after_commit(session: Session) -> None:
    for watch in _WATCHES:
        changed = session.info.pop(watch.changed_key, None)
        if not changed or not has_app_context():
            continue
        cache = current_app.extensions.get(watch.extension)
        if cache is not None:
            for tenant_id in changed:
                cache.advance(tenant_id)
