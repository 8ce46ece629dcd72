"""Sign-in sessions kept on the server: started at sign-in, checked on every request, revocable."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta

from sqlalchemy import bindparam, delete, or_, select
from sqlalchemy.orm import joinedload

from app import audit
from app.accounts.models import RoleAssignment, User, UserSession
from app.extensions import db
from app.tenancy.models import Tenant, utcnow

# Last seen is written at most this often, so that pages do not write on every request.
LAST_SEEN_EVERY = timedelta(minutes=1)
SHARED_LAST_SEEN_EVERY = timedelta(seconds=10)
# Ended sessions are kept this long for the owner's record, then removed at their next sign-in.
KEEP_ENDED = timedelta(days=30)
# What every signed-in request loads with the session, in one statement: the person, their role
# assignments and roles (the navigation's permission checks then need no query of their own).
_WITH_USER_AND_ROLES = (
    joinedload(UserSession.user).joinedload(User.role_assignments).joinedload(RoleAssignment.role),
)
# Built once: SQLAlchemy keeps a statement's cache key on it, and the tenant-scoped copy is kept per
# tenant (app/tenancy/scoping.py), where ``session.get`` built and keyed a new statement every request.
_SESSION_WITH_USER_AND_ROLES = (
    select(UserSession).options(*_WITH_USER_AND_ROLES).where(UserSession.id == bindparam("session_id"))
)


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _ends_at(user_session: UserSession, tenant: Tenant) -> datetime:
    """When *user_session* ends if nothing else happens: idle timeout or absolute lifetime, the sooner."""
    idle_minutes = tenant.session_idle_minutes
    if user_session.shared_idle_minutes:
        idle_minutes = min(idle_minutes, user_session.shared_idle_minutes)
    idle_end = user_session.last_seen_at + timedelta(minutes=idle_minutes)
    absolute_end = user_session.created_at + timedelta(hours=tenant.session_max_hours)
    return min(idle_end, absolute_end)


def is_live(user_session: UserSession, tenant: Tenant, now: datetime | None = None) -> bool:
    """True while *user_session* is neither revoked nor past its idle or absolute limit."""
    return user_session.revoked_at is None and (now or utcnow()) < _ends_at(user_session, tenant)


def start_session(user: User, *, ip: str | None, user_agent: str | None) -> str:
    """Record a new sign-in of *user* and return the value the signed cookie carries."""
    cutoff = utcnow() - KEEP_ENDED
    db.session.execute(
        delete(UserSession).where(
            UserSession.user_id == user.id,
            or_(UserSession.revoked_at < cutoff, UserSession.created_at < cutoff),
        ),
        execution_options={"synchronize_session": False},  # ended sessions nobody holds in memory
    )
    secret = secrets.token_urlsafe(32)
    user_session = UserSession(
        user_id=user.id,
        secret_hash=_hash(secret),
        ip=ip,
        user_agent=(user_agent or "")[:500] or None,
    )
    db.session.add(user_session)
    db.session.flush()
    user.current_session = user_session
    user.session_cookie = f"{user_session.id}.{secret}"
    return user.session_cookie


def user_for_cookie(cookie: str, tenant: Tenant) -> User | None:
    """The active user whose live session *cookie* names, else None. One query, by primary key.

    Last seen is updated at most once a minute: the one write a GET may cause, accepted so
    that the idle timeout can be enforced without a write on every request.
    """
    session_id, _, secret = cookie.partition(".")
    if not session_id.isascii() or not session_id.isdigit() or len(session_id) > 18 or not secret:
        return None
    user_session = (
        db.session.execute(_SESSION_WITH_USER_AND_ROLES, {"session_id": int(session_id)})
        .unique()
        .scalar_one_or_none()
    )
    if user_session is None or not hmac.compare_digest(user_session.secret_hash, _hash(secret)):
        return None
    now = utcnow()
    user = user_session.user
    if not is_live(user_session, tenant, now) or not user.is_active:
        return None
    # A shared device's few idle minutes are counted more finely than a minute.
    every = SHARED_LAST_SEEN_EVERY if user_session.shared_idle_minutes else LAST_SEEN_EVERY
    if now - user_session.last_seen_at >= every:
        user_session.last_seen_at = now
    user.current_session = user_session
    user.session_cookie = cookie
    return user


def end_session(user_session: UserSession | None) -> None:
    """Sign out: the cookie of *user_session* no longer signs anyone in, wherever it was copied to."""
    if user_session is not None and user_session.revoked_at is None:
        user_session.revoked_at = utcnow()


def live_sessions(user: User, tenant: Tenant) -> list[UserSession]:
    """*user*'s sessions that still sign them in, most recently used first."""
    candidates = db.session.scalars(
        select(UserSession)
        .where(UserSession.user_id == user.id, UserSession.revoked_at.is_(None))
        .order_by(UserSession.last_seen_at.desc(), UserSession.id.desc())
    )
    now = utcnow()
    return [s for s in candidates if is_live(s, tenant, now)]


def revoke_session(user: User, session_id: int) -> UserSession | None:
    """End one of *user*'s own sessions; None when *session_id* is not theirs."""
    user_session = db.session.get(UserSession, session_id)
    if user_session is None or user_session.user_id != user.id:
        return None
    if user_session.revoked_at is None:
        user_session.revoked_at = utcnow()
        audit.record("user.session_revoked", target=user, after={"session_id": session_id})
    return user_session


def revoke_user_sessions(user: User, *, keep: UserSession | None = None, reason: str) -> int:
    """End every session of *user* except *keep*; return how many were ended.

    *reason* says why in the audit log: signed_out_everywhere, password_changed, deactivated, roles_changed.
    """
    now = utcnow()
    ended = 0
    for user_session in db.session.scalars(
        select(UserSession).where(UserSession.user_id == user.id, UserSession.revoked_at.is_(None))
    ):
        if keep is not None and user_session.id == keep.id:
            continue
        user_session.revoked_at = now
        ended += 1
    if ended:
        audit.record("user.sessions_revoked", target=user, after={"count": ended, "reason": reason})
    return ended


_BROWSERS = (
    ("Edg/", "Edge"),
    ("OPR/", "Opera"),
    ("Firefox/", "Firefox"),
    ("Chrome/", "Chrome"),
    ("Safari/", "Safari"),
)
_SYSTEMS = (
    ("Android", "Android"),
    ("iPhone", "iOS"),
    ("iPad", "iPadOS"),
    ("Windows", "Windows"),
    ("Mac OS X", "macOS"),
    ("CrOS", "ChromeOS"),
    ("Linux", "Linux"),
)


def describe_device(user_agent: str | None) -> str | None:
    """A short name for the browser and system of *user_agent*, like "Firefox, Windows"; None if unknown."""
    agent = user_agent or ""
    browser = next((name for marker, name in _BROWSERS if marker in agent), None)
    system = next((name for marker, name in _SYSTEMS if marker in agent), None)
    return ", ".join(part for part in (browser, system) if part) or None
