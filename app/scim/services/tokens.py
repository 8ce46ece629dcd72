"""SCIM tokens: create (shown once), revoke, find by their secret, and each token's operations log."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from flask_babel import gettext as _
from sqlalchemy import func, select

from app import audit
from app.accounts.models import User
from app.errors import ValidationError
from app.extensions import db
from app.scim.models import ScimOperation, ScimToken
from app.tenancy.models import utcnow

TOKEN_PREFIX_LENGTH = 8
TOUCH_EVERY = timedelta(minutes=1)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(
    name: str, created_by: User | None = None, *, secret: str | None = None
) -> tuple[ScimToken, str]:
    """Create a token named *name*; return it and its secret, which is never shown again.

    *secret* is for the demo's published token only; every other token's secret is random.
    """
    name = (name or "").strip()
    if not name:
        raise ValidationError(_("Name the token after the system that will use it."), field="name")
    if len(name) > 100:
        raise ValidationError(_("Keep the name under 100 characters."), field="name")
    secret = secret or secrets.token_urlsafe(32)
    token = ScimToken(
        name=name,
        token_hash=hash_token(secret),
        prefix=secret[:TOKEN_PREFIX_LENGTH],
        created_by_id=created_by.id if created_by else None,
    )
    db.session.add(token)
    audit.record("scim.token_created", target=token, after={"name": name, "prefix": token.prefix})
    return token, secret


def revoke_token(token: ScimToken) -> ScimToken:
    """Stop *token* working at once; its operations log stays."""
    if token.revoked_at is not None:
        return token
    token.revoked_at = utcnow()
    audit.record("scim.token_revoked", target=token, before={"revoked": False}, after={"revoked": True})
    return token


def list_tokens() -> list[ScimToken]:
    return list(
        db.session.scalars(select(ScimToken).order_by(ScimToken.revoked_at.is_not(None), ScimToken.name))
    )


def get_token(token_id: int) -> ScimToken | None:
    return db.session.get(ScimToken, token_id)


def token_for(secret: str) -> ScimToken | None:
    """The active token of this tenant whose secret is *secret*."""
    if not secret:
        return None
    token = db.session.scalars(select(ScimToken).where(ScimToken.token_hash == hash_token(secret))).first()
    return token if token is not None and token.is_active else None


def note_token_used(token: ScimToken) -> None:
    """Remember when *token* was last used, at most once a minute (not a write on every request)."""
    now = utcnow()
    if token.last_used_at is None or now - token.last_used_at >= TOUCH_EVERY:
        token.last_used_at = now


def log_operation(
    token: ScimToken,
    *,
    method: str,
    path: str,
    outcome: str,
    status: int,
    resource_type: str | None = None,
    resource_id: str | None = None,
    detail: str | None = None,
) -> None:
    db.session.add(
        ScimOperation(
            token_id=token.id,
            method=method,
            path=path[:300],
            outcome=outcome,
            status=status,
            resource_type=resource_type,
            resource_id=resource_id,
            detail=(detail or None) and detail[:1000],
        )
    )


def operations_page(token: ScimToken, page: int, per_page: int = 50) -> tuple[list[ScimOperation], int]:
    """One page of *token*'s operations, newest first, and how many there are."""
    statement = select(ScimOperation).where(ScimOperation.token_id == token.id)
    total = db.session.scalar(select(func.count()).select_from(statement.subquery())) or 0
    rows = db.session.scalars(
        statement.order_by(ScimOperation.at.desc(), ScimOperation.id.desc())
        .limit(per_page)
        .offset((page - 1) * per_page)
    )
    return list(rows), total
