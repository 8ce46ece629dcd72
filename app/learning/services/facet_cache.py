"""The catalog's filters (categories and topics) and how many courses it lists or a search finds, kept
per process and tenant until a course changes.

Counting the filters and the courses reads every visible course of the tenant (their categories and
JSON tags, a search their descriptions) on every catalog page, search and htmx swap: the biggest part
of the catalog's work as catalogs grow.
What a person's filters are depends only on the tenant's courses and audiences and on what the
visibility rules look at (their groups, org-unit ancestry and job title), so each process keeps
them by (tenant, those three), tagged with the **catalog generation** read before the query, as
the tenant cache does (app/tenancy/cache.py, docs/decisions/0010).

A generation is two counters, the tenant's own and one for every tenant: any commit that wrote a
``courses`` or ``course_audiences`` row moves the tenant's on after the commit (a bulk ORM
``UPDATE``/``DELETE`` of them too: the tenant in context's, or the all-tenants one when unscoped).
The counters live where the tenant generation does: Redis keys when ``REDIS_URL`` is set, else
files of the instance folder (``instance/catalog-generation/<tenant id>`` and ``.../all``), so
every process sees a change at its next catalog page. Entries are never used more than
``MAX_AGE_SECONDS`` after they were read. Code that writes courses with raw SQL must call
``facet_cache().advance(tenant_id)`` after its commit; nothing in the application does.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple, TypeVar, cast

from flask import Flask, current_app, has_app_context
from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState, Session

from app.learning.models import Audience, Course, LearningPath
from app.tenancy import context
from app.tenancy.cache import FileGeneration, RedisGeneration

_EXTENSION = "atrium.catalog_facets"
REDIS_KEY_PREFIX = "atrium:catalog-generation:"
GENERATION_FOLDER = "catalog-generation"
ALL_TENANTS = "all"
MAX_AGE_SECONDS = 300.0
MAX_ENTRIES = 10_000
_CHANGED_KEY = "atrium_catalog_changed"


class Facets(NamedTuple):
    """What the catalog offers to filter by, and how many courses it lists unfiltered: kept, so immutable."""

    categories: tuple[str, ...]
    tags: tuple[str, ...]
    listed: int


#: What the cache keeps: an audience's filters, or how many courses a search finds.
Kept = TypeVar("Kept", Facets, int)


class _Generations:
    """Each tenant's catalog generation and the all-tenants one, in Redis or in files."""

    def __init__(self, app: Flask) -> None:
        self._sources: dict[str, RedisGeneration | FileGeneration] = {}
        self._lock = threading.Lock()
        self._redis: Any = None
        self._folder = Path(app.instance_path) / GENERATION_FOLDER
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
                        source = RedisGeneration(self._url, REDIS_KEY_PREFIX + name, redis=self._redis)
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
    value: Facets | int


class FacetCache:
    """One process's catalog filters by tenant and what the visibility rules look at."""

    def __init__(self, app: Flask) -> None:
        self.generations = _Generations(app)
        self._entries: dict[Hashable, _Entry] = {}
        self._lock = threading.Lock()

    def facets(self, tenant_id: int, key: Hashable, count: Callable[[], Kept]) -> Kept:
        """What *count()* finds for *key* in *tenant_id* (the filters of an audience, or how many courses
        a search finds): kept while the catalog is unchanged."""
        generation = self.generations.read(tenant_id)  # before the query: a change after it is seen next time
        if generation is None:
            return count()
        key = (tenant_id, key)
        entry = self._entries.get(key)
        now = time.monotonic()
        if entry is not None and entry.generation == generation and now - entry.read_at < MAX_AGE_SECONDS:
            return cast(Kept, entry.value)  # immutable: no page can change what others get
        value = count()
        with self._lock:
            if len(self._entries) >= MAX_ENTRIES:
                self._entries.clear()
            self._entries[key] = _Entry(generation, now, value)
        return value

    def advance(self, tenant_id: int | None) -> None:
        """A course or audience of *tenant_id* (None: of any tenant) changed: count its filters again."""
        with self._lock:
            self._entries.clear()
        self.generations.advance(tenant_id)


def init_app(app: Flask) -> None:
    app.extensions[_EXTENSION] = FacetCache(app)


def facet_cache(app: Flask | None = None) -> FacetCache:
    cache: FacetCache = (app or current_app).extensions[_EXTENSION]
    return cache


# -- a change moves the tenant's generation on, once it is committed ------------------------------------


def _changed(session: Session) -> set[int | None]:
    found: set[int | None] = session.info.setdefault(_CHANGED_KEY, set())
    return found


# What moves the generation on: the catalog's courses and audiences, and the learning paths My team's assign
# form offers beside them (app/team/choices.py keeps its options under this generation too).
_WATCHED = (Course, Audience, LearningPath)


@event.listens_for(Session, "before_flush")
def _note_catalog_writes(session: Session, flush_context: Any, instances: Any) -> None:
    for obj in (*session.new, *session.deleted, *session.dirty):
        if isinstance(obj, _WATCHED) and (obj not in session.dirty or session.is_modified(obj)):
            # A new row may not have its tenant stamped yet: it is written as the tenant in context.
            _changed(session).add(obj.tenant_id or context.current_tenant_id())


@event.listens_for(Session, "do_orm_execute")
def _note_bulk_catalog_writes(state: ORMExecuteState) -> None:
    if (state.is_update or state.is_delete) and any(m.class_ in _WATCHED for m in state.all_mappers):
        ctx = context.current()
        _changed(state.session).add(None if ctx.unscoped else ctx.tenant_id)


@event.listens_for(Session, "after_commit")
def _advance_after_commit(session: Session) -> None:
    changed = session.info.pop(_CHANGED_KEY, None)
    if not changed or not has_app_context():
        return
    cache = current_app.extensions.get(_EXTENSION)
    if cache is not None:
        for tenant_id in changed:
            cache.advance(tenant_id)
