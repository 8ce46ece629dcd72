"""The tenant context that the database layer filters by.

A context variable, not ``flask.g``, so that jobs, CLI commands and tests use
the same mechanism as requests.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

log = logging.getLogger("atrium.tenancy")


@dataclass(frozen=True)
class TenantContext:
    tenant_id: int | None
    unscoped_reason: str | None = None

    @property
    def unscoped(self) -> bool:
        return self.unscoped_reason is not None


_NO_CONTEXT = TenantContext(tenant_id=None)
_current: ContextVar[TenantContext] = ContextVar("atrium_tenant_context", default=_NO_CONTEXT)


class TenantContextMissing(RuntimeError):
    """A tenant-scoped table was queried with no tenant in context."""


class CrossTenantWrite(RuntimeError):
    """An object of one tenant was written while another tenant was in context."""


def current() -> TenantContext:
    return _current.get()


def current_tenant_id() -> int | None:
    return _current.get().tenant_id


def set_tenant(tenant_id: int | None) -> object:
    """Set the tenant for the rest of this context; return a token for :func:`reset`."""
    return _current.set(TenantContext(tenant_id=tenant_id))


def reset(token: object) -> None:
    _current.reset(token)  # type: ignore[arg-type]


def _flush_pending() -> None:
    """Write what is pending under the context it was made in, before the context changes."""
    from flask import has_app_context

    if not has_app_context():
        return
    from app.extensions import db

    session = db.session()
    if session.new or session.dirty or session.deleted:
        session.flush()


@contextmanager
def as_tenant(tenant: object) -> Iterator[None]:
    """Run the block as *tenant* (a Tenant or its id)."""
    tenant_id = tenant if isinstance(tenant, int) else tenant.id  # type: ignore[attr-defined]
    _flush_pending()
    token = _current.set(TenantContext(tenant_id=tenant_id))
    try:
        yield
        _flush_pending()
    finally:
        _current.reset(token)


@contextmanager
def unscoped(reason: str) -> Iterator[None]:
    """Run the block with tenant filtering off; *reason* is logged so every use is visible."""
    if not reason or not reason.strip():
        raise ValueError("unscoped() needs a reason")
    log.info("tenancy.unscoped", extra={"reason": reason})
    _flush_pending()
    token = _current.set(TenantContext(tenant_id=None, unscoped_reason=reason))
    try:
        yield
        _flush_pending()
    finally:
        _current.reset(token)


_platform_writes: ContextVar[str | None] = ContextVar("atrium_platform_writes", default=None)


def platform_writes_open() -> bool:
    return _platform_writes.get() is not None


@contextmanager
def platform_writes(reason: str) -> Iterator[None]:
    """Let the block write the global tables (tenants, domains, library); *reason* is logged.

    On PostgreSQL the application role may change those tables only while this is open
    (``app.platform_writes``, see docs/decisions/0005); what the block wrote is flushed before
    it closes, so the write reaches the database while it is allowed. Usable as a decorator.
    """
    if not reason or not reason.strip():
        raise ValueError("platform_writes() needs a reason")
    log.info("tenancy.platform_writes", extra={"reason": reason})
    _flush_pending()
    token = _platform_writes.set(reason)
    try:
        yield
        _flush_pending()
    finally:
        _platform_writes.reset(token)
