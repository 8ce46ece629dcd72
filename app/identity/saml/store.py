"""What SAML sign-in remembers between processes: requests sent out (to match InResponseTo) and
assertion ids accepted (each accepted once). Redis (SET NX EX) when configured, else the
``saml_seen`` table whose unique key gives the same "first one wins" across processes."""

from __future__ import annotations

import logging
from datetime import timedelta

from flask import current_app
from sqlalchemy import delete, select

from app.extensions import db
from app.identity.saml.models import SamlSeen
from app.tenancy import context as tenancy_context
from app.tenancy.models import insert_unless_exists, utcnow

log = logging.getLogger(__name__)

REQUEST_SECONDS = 15 * 60  # how long a person may take at the identity provider
ASSERTION_SECONDS = 24 * 60 * 60  # longer than any assertion we accept lives


def _redis():
    if not current_app.config.get("REDIS_URL"):
        return None
    from app.jobs import redis_connection

    return redis_connection()


def _key(kind: str, value: str) -> str:
    return f"atrium:saml:{tenancy_context.current_tenant_id()}:{kind}:{value}"


def _forget_expired() -> None:
    db.session.execute(delete(SamlSeen).where(SamlSeen.expires_at <= utcnow()))


def remember_request(request_id: str, provider_id: int) -> None:
    """Remember that this portal sent *request_id* to *provider_id*."""
    redis = _redis()
    if redis is not None:
        redis.set(_key("request", request_id), str(provider_id), ex=REQUEST_SECONDS)
        return
    _forget_expired()
    insert_unless_exists(
        SamlSeen,
        kind="request",
        value=request_id[:300],
        provider_id=provider_id,
        expires_at=utcnow() + timedelta(seconds=REQUEST_SECONDS),
    )


def take_request(request_id: str) -> int | None:
    """The provider *request_id* was sent to, forgetting it (a response answers a request once)."""
    redis = _redis()
    if redis is not None:
        value = redis.getdel(_key("request", request_id))
        return int(value) if value else None
    row = db.session.scalars(
        select(SamlSeen).where(SamlSeen.kind == "request", SamlSeen.value == request_id[:300])
    ).first()
    if row is None or row.expires_at <= utcnow():
        return None
    db.session.delete(row)
    db.session.flush()
    return row.provider_id


def first_use(assertion_id: str, seconds: int = ASSERTION_SECONDS) -> bool:
    """True the first time *assertion_id* is presented here, False for every replay."""
    redis = _redis()
    if redis is not None:
        return bool(redis.set(_key("assertion", assertion_id), "1", nx=True, ex=seconds))
    _forget_expired()
    inserted = insert_unless_exists(
        SamlSeen,
        kind="assertion",
        value=assertion_id[:300],
        expires_at=utcnow() + timedelta(seconds=seconds),
    )
    return inserted is not None
