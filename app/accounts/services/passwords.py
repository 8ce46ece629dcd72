"""Password rules and hashing, setting a password, and forgetting failed sign-ins."""

from __future__ import annotations

import contextlib

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask_babel import gettext as _
from sqlalchemy import delete

from app import audit
from app.accounts import sessions
from app.accounts.models import SignInFailures, User, UserSession, new_session_token
from app.errors import ValidationError
from app.extensions import db

_hasher = PasswordHasher()
_DUMMY_HASH = _hasher.hash("atrium-timing-equaliser")
MIN_PASSWORD_LENGTH = 10


def hash_password(password: str) -> str:
    """Hash *password* with Argon2 for storing."""
    return _hasher.hash(password)


def needs_rehash(password_hash: str) -> bool:
    """Whether *password_hash* was made with weaker settings than today's."""
    return _hasher.check_needs_rehash(password_hash)


def validate_new_password(password: str, user: User) -> None:
    """Refuse a password that is too short or is *user*'s email address."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationError(
            _("Use at least %(n)d characters for the password.", n=MIN_PASSWORD_LENGTH), field="password"
        )
    if user.email and password.strip().lower() == user.email.lower():
        raise ValidationError(_("The password cannot be your email address."), field="password")


def set_password(user: User, password: str, *, keep_session: UserSession | None = None) -> None:
    """Set *user*'s password and end all of their sessions but *keep_session* (the one that changed it)."""
    validate_new_password(password, user)
    user.password_hash = hash_password(password)
    user.session_token = new_session_token()
    sessions.revoke_user_sessions(user, keep=keep_session, reason="password_changed")
    clear_sign_in_failures(user)
    audit.record("user.password_changed", target=user)


def password_matches(user: User | None, password: str) -> bool:
    """Whether *password* is *user*'s; as slow when there is no such user as when there is."""
    if user is None or user.password_hash is None:
        # Spend the time a real check takes, so timing does not reveal which emails exist.
        with contextlib.suppress(VerificationError):
            _hasher.verify(_DUMMY_HASH, password)
        return False
    try:
        return _hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def clear_sign_in_failures(user: User) -> None:
    """Unlock *user*'s address: their failed sign-ins are forgotten."""
    db.session.execute(delete(SignInFailures).where(SignInFailures.email == user.email))
