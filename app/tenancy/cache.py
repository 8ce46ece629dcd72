"""The tenant of each host, kept in process so that resolving it costs no query; every process sees a change.

Every request resolves its tenant from the Host (``web.py``). The row changes rarely (a suspension,
a rename, new branding, languages or sign-in lifetime, a custom domain), so each process keeps the
columns of the tenant it found for each normalised host, tagged with the **tenant generation** it
read before the query. A request reads the generation once; an entry tagged with another one is
not used. Any commit that wrote a ``tenants`` or ``tenant_domains`` row moves the generation on,
after the commit (``after_commit``), so a process can never cache the old row again under the new
generation: a request that read the old generation is used for that request only.

Where the generation lives (:func:`generation_source`):

* **Redis**, when ``REDIS_URL`` is set: one ``GET`` per request of a counter that a change
  ``INCR``s. Every process on every host shares it. When Redis cannot be reached, requests
  resolve their tenant from the database, uncached, and leave Redis alone for a few seconds.
* **A file in the instance folder** otherwise (the embedded default, one host): a change appends
  one byte to ``instance/tenant-generation`` and the generation is the file's ``os.stat``
  (inode, size, modification time) — one system call per request, no query, no daemon. The size
  alone grows with every change, so two changes within one tick of the file system's clock still
  read as two generations. Processes on several hosts do not share a folder: they need Redis
  (which they need anyway for rate limits and jobs).

An entry is used at most :data:`MAX_AGE_SECONDS` after it was read, the last line of defence if a
change's generation could not be moved on (Redis down at that moment).

What a request gets is a fresh ``Tenant`` added to its own session as if loaded by a query (no
shared object, its JSON values copied), so pages that change the tenant's settings change the
row as before.
"""

from __future__ import annotations

import copy
import logging
import os
import secrets
import threading
import time
from collections.abc import Hashable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import Flask, current_app, has_app_context
from sqlalchemy import event, inspect
from sqlalchemy.orm import ORMExecuteState, Session, make_transient_to_detached

from app.extensions import db
from app.tenancy.models import Tenant, TenantDomain
from app.tenancy.services import normalise_host, resolve_host

log = logging.getLogger("atrium.tenancy.cache")

_EXTENSION = "atrium.tenant_cache"
REDIS_KEY = "atrium:tenant-generation"
GENERATION_FILE = "tenant-generation"
# After failing to reach Redis, requests resolve uncached for this long before trying it again.
REDIS_BACKOFF_SECONDS = 5.0
MAX_AGE_SECONDS = 300.0
# More hosts than this (tenants' subdomains and verified domains) and the cache starts again.
MAX_ENTRIES = 10_000
_CHANGED_KEY = "atrium_tenants_changed"
_COLUMNS = tuple(column.key for column in inspect(Tenant).column_attrs)
_MUTABLE_COLUMNS = ("enabled_locales", "branding")
_TENANT_CLASS_MANAGER = inspect(Tenant).class_manager


class RedisGeneration:
    """The tenant generation as a Redis counter: one GET per request, INCR after a change."""

    def __init__(self, url: str, key: str = REDIS_KEY, redis: Any = None) -> None:
        from redis import Redis

        # Short timeouts: an unreachable Redis makes requests uncached, it must not hold them.
        self.redis = redis or Redis.from_url(url, socket_connect_timeout=0.5, socket_timeout=0.5)
        self.key = key
        self._retry_at = 0.0
        self._down = False

    def read(self) -> Hashable | None:
        if time.monotonic() < self._retry_at:
            return None
        try:
            value: bytes | str | None = self.redis.get(self.key)
            if value is None:
                self._start()
                value = self.redis.get(self.key)
        except Exception as exc:  # any failure: resolve from the database until Redis is back
            self._unreachable(exc)
            return None
        self._down = False
        return value

    def advance(self) -> None:
        try:
            if not self._start():
                self.redis.incr(self.key)
        except Exception as exc:  # the entries' age limit bounds how long other processes lag
            self._unreachable(exc)

    def _start(self) -> bool:
        """Give a new (or emptied) Redis a random generation; whether this call did.

        A counter that started again from 1 could come back to a generation an entry was tagged
        with before Redis lost it; a random start of 52 bits never does.
        """
        return bool(self.redis.set(self.key, secrets.randbits(52), nx=True))

    def _unreachable(self, exc: Exception) -> None:
        self._retry_at = time.monotonic() + REDIS_BACKOFF_SECONDS
        if not self._down:  # once an outage (rate limits and jobs warn about it); pages keep working
            log.info(
                "tenancy.cache: Redis unreachable (%s); %s is read from the database until it is back",
                type(exc).__name__,
                self.key,
                extra={"event": "tenancy.cache_redis_unreachable"},
            )
        self._down = True


class FileGeneration:
    """The tenant generation as a file of the instance folder: ``os.stat`` per request, a byte per change."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch(exist_ok=True)

    def read(self) -> Hashable | None:
        try:
            stat = os.stat(self.path)
        except OSError:
            return None
        return (stat.st_ino, stat.st_size, stat.st_mtime_ns)

    def advance(self) -> None:
        try:
            # O_APPEND: each change adds its own byte, whatever other processes write meanwhile.
            with open(self.path, "ab") as generation:
                generation.write(b".")
        except OSError as exc:
            log.error(
                "tenancy.cache: cannot write %s (%s); other processes see tenant changes within %.0f s",
                self.path,
                type(exc).__name__,
                MAX_AGE_SECONDS,
                extra={"event": "tenancy.cache_generation_unwritable"},
            )


@dataclass(frozen=True)
class _Entry:
    generation: Hashable
    read_at: float
    values: dict[str, Any] | None  # the tenant's columns; None: no tenant is served at this host


class TenantCache:
    """One process's tenants by normalised host (per application: tests run several side by side)."""

    def __init__(self, source: RedisGeneration | FileGeneration) -> None:
        self.source = source
        self._entries: dict[str, _Entry] = {}
        self._lock = threading.Lock()

    def tenant_for_host(self, host: str, root_domain: str) -> Tenant | None:
        """The tenant served at *host*, attached to this request's session; a query only on a miss."""
        key = normalise_host(host)
        generation = self.source.read()
        if generation is None:
            return resolve_host(host, root_domain)
        entry = self._entries.get(key)
        now = time.monotonic()
        if entry is not None and entry.generation == generation and now - entry.read_at < MAX_AGE_SECONDS:
            return None if entry.values is None else _attach(entry.values)
        tenant = resolve_host(host, root_domain)
        values = None if tenant is None else {name: tenant.__dict__[name] for name in _COLUMNS}
        with self._lock:
            if len(self._entries) >= MAX_ENTRIES:
                self._entries.clear()
            self._entries[key] = _Entry(generation, now, copy.deepcopy(values))
        return tenant

    def advance(self) -> None:
        """Move the generation on: every process reads its tenants again at its next request."""
        with self._lock:
            self._entries.clear()
        self.source.advance()


def _attach(values: dict[str, Any]) -> Tenant:
    """A Tenant of *values* in this request's session, as though a query had loaded it."""
    session = db.session()
    existing = session.identity_map.get((Tenant, (values["id"],), None))
    if existing is not None:
        return existing
    # Filled in as a query's rows are (the constructor's attribute events would cost as much again).
    tenant: Tenant = _TENANT_CLASS_MANAGER.new_instance()
    tenant.__dict__.update(values)
    for name in _MUTABLE_COLUMNS:
        tenant.__dict__[name] = copy.deepcopy(values[name])  # a page changing its copy changes nobody else's
    make_transient_to_detached(tenant)
    session.add(tenant)
    return tenant


def generation_source(app: Flask) -> RedisGeneration | FileGeneration:
    """Redis when it is configured (every host shares it); else a file of the instance folder."""
    if app.config.get("REDIS_URL"):
        return RedisGeneration(app.config["REDIS_URL"])
    return FileGeneration(Path(app.instance_path) / GENERATION_FILE)


def init_app(app: Flask) -> None:
    app.extensions[_EXTENSION] = TenantCache(generation_source(app))


def tenant_cache(app: Flask | None = None) -> TenantCache:
    cache: TenantCache = (app or current_app).extensions[_EXTENSION]
    return cache


# -- a change moves the generation on, once it is committed --------------------------------------------


def _is_tenant_row(obj: object) -> bool:
    return isinstance(obj, Tenant | TenantDomain)


@event.listens_for(Session, "before_flush")
def _note_tenant_writes(session: Session, flush_context: Any, instances: Any) -> None:
    if any(_is_tenant_row(obj) for obj in (*session.new, *session.deleted)) or any(
        _is_tenant_row(obj) and session.is_modified(obj) for obj in session.dirty
    ):
        session.info[_CHANGED_KEY] = True


@event.listens_for(Session, "do_orm_execute")
def _note_bulk_tenant_writes(state: ORMExecuteState) -> None:
    if (state.is_update or state.is_delete) and any(
        m.class_ in (Tenant, TenantDomain) for m in state.all_mappers
    ):
        state.session.info[_CHANGED_KEY] = True


@event.listens_for(Session, "after_commit")
def _advance_after_commit(session: Session) -> None:
    if not session.info.pop(_CHANGED_KEY, False) or not has_app_context():
        return
    cache = current_app.extensions.get(_EXTENSION)
    if cache is not None:
        cache.advance()
