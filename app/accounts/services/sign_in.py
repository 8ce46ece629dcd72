"""Signing in (with lockout after repeated failures) and resetting a forgotten password."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import delete, or_, select
from sqlalchemy.exc import IntegrityError

from app import audit, jobs
from app.accounts.models import SignInFailures, User
from app.accounts.services.passwords import hash_password, needs_rehash, password_matches
from app.accounts.services.users import normalise_email, user_by_email
from app.errors import ValidationError
from app.extensions import db
from app.tenancy.models import utcnow


class SignInRefused(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def authenticate(email: str, password: str) -> User:
    """Return the active user of *email* whose password is *password*, or raise SignInRefused.

    Repeated failures lock the address for a while, whether or not it has an account here, so
    that the lockout message does not tell which addresses do; the failure counter is
    committed even though the sign-in fails.
    """
    config = current_app.config
    generic = _("That email and password do not match an active account in this portal.")
    try:
        address = normalise_email(email)
    except ValidationError:
        raise SignInRefused(generic) from None
    now = utcnow()
    failures = _sign_in_failures(address)
    locked_until = failures.locked_until if failures is not None else None
    if locked_until is not None and locked_until > now:
        raise SignInRefused(
            _(
                "Too many failed attempts. Try again in %(minutes)d minutes or reset your password.",
                minutes=config["LOGIN_LOCKOUT_MINUTES"],
            )
        )
    user = user_by_email(address)
    if not password_matches(user, password):
        _count_failure(address, failures, user, now)
        db.session.commit()
        raise SignInRefused(generic)
    assert user is not None and user.password_hash is not None
    if not user.is_active:
        raise SignInRefused(generic)
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    if failures is not None:
        db.session.delete(failures)
    user.last_login_at = now  # the audit log's "signed in" waits for the session (a second step may follow)
    return user


def refuse_if_locked_out(email: str) -> None:
    """Raise SignInRefused when *email* is locked after too many failed sign-ins (any way in)."""
    try:
        address = normalise_email(email)
    except ValidationError:
        return
    failures = _sign_in_failures(address)
    if failures is not None and failures.locked_until is not None and failures.locked_until > utcnow():
        raise SignInRefused(
            _(
                "Too many failed attempts. Try again in %(minutes)d minutes or reset your password.",
                minutes=current_app.config["LOGIN_LOCKOUT_MINUTES"],
            )
        )


def count_failed_sign_in(email: str) -> None:
    """Count a wrong password checked elsewhere (a directory) toward *email*'s lockout; commits."""
    try:
        address = normalise_email(email)
    except ValidationError:
        return
    _count_failure(address, _sign_in_failures(address), user_by_email(address), utcnow())
    db.session.commit()


def forget_failed_sign_ins(email: str) -> None:
    """Forget *email*'s failed sign-ins after a right password checked elsewhere."""
    try:
        address = normalise_email(email)
    except ValidationError:
        return
    failures = _sign_in_failures(address)
    if failures is not None:
        db.session.delete(failures)


def _sign_in_failures(address: str) -> SignInFailures | None:
    return db.session.scalars(select(SignInFailures).where(SignInFailures.email == address)).one_or_none()


def _count_failure(address: str, failures: SignInFailures | None, user: User | None, now: datetime) -> None:
    """Count one failed sign-in for *address*; lock it after LOGIN_MAX_FAILURES in a row."""
    config = current_app.config
    # Counters of addresses nobody has tried for a day are forgotten, so the table stays small.
    db.session.execute(
        delete(SignInFailures).where(
            SignInFailures.updated_at < now - timedelta(days=1),
            or_(SignInFailures.locked_until.is_(None), SignInFailures.locked_until < now),
            SignInFailures.email != address,
        ),
        execution_options={"synchronize_session": False},  # never the row this function holds
    )
    if failures is None:
        failures = SignInFailures(email=address, failures=0)
        try:
            with db.session.begin_nested():
                db.session.add(failures)
        except IntegrityError:  # a parallel failure for the same address created it first
            failures = _sign_in_failures(address)
            assert failures is not None
    failures.failures += 1
    failures.updated_at = now
    if failures.failures >= config["LOGIN_MAX_FAILURES"]:
        failures.locked_until = now + timedelta(minutes=config["LOGIN_LOCKOUT_MINUTES"])
        failures.failures = 0
        if user is not None:
            audit.record("user.locked_out", target=user)


def _reset_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="atrium.password-reset")


def _password_fingerprint(user: User) -> str:
    # Changes when the password does, so a reset link works only once.
    return hashlib.sha256(f"{user.password_hash}:{user.session_token}".encode()).hexdigest()[:16]


def make_password_reset_token(user: User) -> str:
    return _reset_serializer().dumps({"u": user.id, "t": user.tenant_id, "f": _password_fingerprint(user)})


def user_for_reset_token(token: str) -> User | None:
    """Return the user a valid, unused, unexpired reset token is for, else None."""
    try:
        data = _reset_serializer().loads(token, max_age=current_app.config["PASSWORD_RESET_MAX_AGE"])
    except (BadSignature, SignatureExpired):
        return None
    user = db.session.get(User, data.get("u"))
    if user is None or user.tenant_id != data.get("t") or not user.is_active:
        return None
    if _password_fingerprint(user) != data.get("f"):
        return None
    return user


def request_password_reset(email: str, *, portal_name: str, reset_url_for: Any) -> None:
    """Email a reset link to *email* if it is an active account here; say nothing either way."""
    try:
        address = normalise_email(email)
    except ValidationError:
        return
    user = user_by_email(address)
    if user is None or not user.is_active:
        return
    from app.mail import send_mail

    url = reset_url_for(make_password_reset_token(user))
    minutes = current_app.config["PASSWORD_RESET_MAX_AGE"] // 60
    body = _(
        "Hello %(name)s,\n\nSomeone asked to reset your password for %(portal)s. "
        "Open this link within %(minutes)d minutes to choose a new one:\n\n%(url)s\n\n"
        "If it was not you, ignore this message; your password stays as it is.",
        name=user.full_name,
        portal=portal_name,
        minutes=minutes,
        url=url,
    )
    audit.record("user.password_reset_requested", target=user)
    jobs.enqueue(send_mail, user.email, _("Reset your %(portal)s password", portal=portal_name), body)
