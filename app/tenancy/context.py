"""The tenant context that the database layer filters by.

A context variable, not ``flask.g``, so that jobs, CLI commands and tests use
the same mechanism as requests.

Switching the context (``as_tenant``, ``unscoped``) first flushes what is pending, so every
write is checked under the context it was made in, then takes the other tenants' objects out of
the session's identity map: ``db.session.get(User, id)`` answers from that map without a query,
so an object loaded for tenant B must not be there while the session works for tenant A. The
objects a block took out are put back when it ends.

The platform path (``unscoped``, ``platform_writes``, tenant-less jobs, console requests) runs
its transaction on the platform database role (``PLATFORM_DATABASE_URL``), which row-level
security lets through; the application role has no setting that does the same
(docs/decisions/0009).
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from app.tenancy.session import ROLLBACKS_KEY, move_to_platform, platform_reason

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
# Why the platform path is open (None: it is not).
_MISSING = object()


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


def _session() -> Any:
    from flask import has_app_context

    if not has_app_context():
        return None
    from app.extensions import db

    return db.session()


def _flush_pending() -> None:
    """Write what is pending under the context it was made in, before the context changes."""
    session = _session()
    if session is not None and (session.new or session.dirty or session.deleted):
        session.flush()


def _expunge_other_tenants(session: Any, ctx: TenantContext) -> list[object]:
    """Take the scoped objects that are not *ctx*'s tenant's out of *session*; return them.

    With no tenant (or every tenant) in context nothing scoped can be read, or everything can, so
    nothing is taken out.
    """
    if session is None or ctx.tenant_id is None or ctx.unscoped:
        return []
    from sqlalchemy import inspect

    foreign: list[object] = [
        obj
        for obj in list(session.identity_map.values())
        if getattr(obj, "__tenant_scoped__", False) and _tenant_of(inspect(obj)) != ctx.tenant_id
    ]
    for obj in foreign:
        if obj in session:  # not already taken out with an object it cascades from
            session.expunge(obj)
    return foreign


# Where app.tenancy.scoping notes each scoped object's tenant when it is loaded or written, so
# that an expired object (after a rollback) is still known without a query.
TENANT_INFO_KEY = "atrium_tenant_id"


def _tenant_of(state: Any) -> object:
    return state.dict.get("tenant_id", state.info.get(TENANT_INFO_KEY, _MISSING))


def _put_back(session: Any, objects: list[object], rollbacks: int) -> None:
    """Return the objects a block took out to the session it took them from."""
    if not objects or session is None or session is not _session():
        return
    from sqlalchemy import inspect

    rolled_back = session.info.get(ROLLBACKS_KEY, 0) != rollbacks
    for obj in objects:
        state = inspect(obj)
        if state.detached and state.key not in session.identity_map:
            session.add(obj)
            if rolled_back:  # what they showed may have been rolled back with the block
                session.expire(obj)


# Counted by app.tenancy.session, so objects put back after a rollback are reloaded.


@contextmanager
def _switched(new: TenantContext) -> Iterator[None]:
    """Run the block under *new*: flushed before and after, other tenants' objects out of the session."""
    _flush_pending()
    session = _session()
    rollbacks = session.info.get(ROLLBACKS_KEY, 0) if session is not None else 0
    taken_out = _expunge_other_tenants(session, new)
    token = _current.set(new)
    try:
        yield
        _flush_pending()
    finally:
        _current.reset(token)
        if session is not None and session is _session():
            _expunge_other_tenants(session, _current.get())
            _put_back(session, taken_out, rollbacks)


@contextmanager
def as_tenant(tenant: object) -> Iterator[None]:
    """Run the block as *tenant* (a Tenant or its id)."""
    tenant_id = tenant if isinstance(tenant, int) else tenant.id  # type: ignore[attr-defined]
    with _switched(TenantContext(tenant_id=tenant_id)):
        yield


def _caller() -> str:
    """Where the platform path was asked for (file:line outside this module and contextlib)."""
    frame = sys._getframe(1)
    while frame is not None and frame.f_code.co_filename.endswith(("context.py", "contextlib.py")):
        frame = frame.f_back  # type: ignore[assignment]
    return f"{frame.f_code.co_filename}:{frame.f_lineno}" if frame is not None else "?"


@contextmanager
def unscoped(reason: str) -> Iterator[None]:
    """Run the block across every tenant, on the platform database role; every use is audited.

    A WARNING ``tenancy.cross_tenant`` record names the reason, who asked (the audit actor), the
    request and the calling line; ``tests/tenancy/test_cross_tenant_uses.py`` lists every call site.
    """
    if not reason or not reason.strip():
        raise ValueError("unscoped() needs a reason")
    from app.actors import current_actor

    actor = current_actor()
    log.warning(
        "tenancy.cross_tenant: %s",
        reason,
        extra={
            "event": "tenancy.cross_tenant",
            "reason": reason,
            "actor_type": actor.type,
            "actor_id": actor.id,
            "actor": actor.label,
            "request_id": actor.request_id,
            "from_tenant": current_tenant_id(),
            "caller": _caller(),
        },
    )
    with as_platform(reason), _switched(TenantContext(tenant_id=None, unscoped_reason=reason)):
        yield


def platform_path_open() -> bool:
    """Whether this context runs on the platform path (its transactions use the platform role)."""
    return platform_reason.get() is not None


def platform_writes_open() -> bool:
    return platform_path_open()


def open_platform(reason: str) -> object:
    """Open the platform path for the rest of this context (a console request); see :func:`as_platform`."""
    _flush_pending()
    token = platform_reason.set(reason)
    try:
        session = _session()
        if session is not None:
            move_to_platform(session)
    except BaseException:
        platform_reason.reset(token)
        raise
    return token


def close_platform(token: object) -> None:
    platform_reason.reset(token)  # type: ignore[arg-type]


@contextmanager
def as_platform(reason: str) -> Iterator[None]:
    """Run the block on the platform path: from here to the end of the transaction, the session
    uses the platform database role.

    A transaction that the application role began is ended first when it wrote nothing; when it
    did write, :class:`app.tenancy.session.PlatformTransactionError` is raised (a transaction is
    one connection, so it cannot change role halfway through its writes).
    """
    token = open_platform(reason)
    try:
        yield
        _flush_pending()
    finally:
        close_platform(token)


@contextmanager
def platform_writes(reason: str) -> Iterator[None]:
    """Let the block write the global tables (tenants, domains, library); *reason* is logged.

    On PostgreSQL only the platform database role may change those tables (docs/decisions/0005
    and 0009): the block runs on the platform path, and what it wrote is flushed before it
    closes. Usable as a decorator.
    """
    if not reason or not reason.strip():
        raise ValueError("platform_writes() needs a reason")
    log.info("tenancy.platform_writes", extra={"reason": reason})
    with as_platform(reason):
        yield
