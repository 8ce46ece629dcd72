"""Who is acting and from where, set by the request (or job) and read by audit.record and tenancy's log.

App-wide, below tenancy and audit: both read it, neither owns it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass


@dataclass(frozen=True)
class Actor:
    type: str  # "user", "api_client" or "system"
    id: int | None = None
    label: str | None = None
    ip: str | None = None
    user_agent: str | None = None
    request_id: str | None = None


SYSTEM = Actor(type="system", label="system")
CLI_ACTOR = Actor(type="system", label="cli")  # what operators do with `flask ...` commands
_actor: ContextVar[Actor] = ContextVar("atrium_actor", default=SYSTEM)


def current_actor() -> Actor:
    return _actor.get()


def set_actor(actor: Actor) -> object:
    return _actor.set(actor)


def reset_actor(token: object) -> None:
    _actor.reset(token)  # type: ignore[arg-type]


@contextmanager
def acting_as(actor: Actor) -> Iterator[None]:
    token = _actor.set(actor)
    try:
        yield
    finally:
        _actor.reset(token)
