"""Crew sign-in on a shared device: PINs, printed badges, and the checks that let a crew member in.

A PIN is 4 to 8 digits, hashed with Argon2 like a password, and locked after repeated wrong tries
like a password. A badge's QR carries a random token; only its SHA-256 is stored (the token has
192 bits of randomness, so a fast hash suffices). A new badge revokes the person's earlier ones.
"""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import re
import secrets
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select

from app import audit
from app.accounts.models import User, UserStatus
from app.accounts.services import SignInRefused
from app.crew.models import CrewBadge, CrewPin
from app.errors import ValidationError
from app.extensions import db
from app.tenancy.models import utcnow

_hasher = PasswordHasher()
_DUMMY_HASH = _hasher.hash("0000")
_PIN = re.compile(r"[0-9]{4,8}")
_TOKEN = re.compile(r"[A-Za-z0-9_-]{20,64}")


# ---------------------------------------------------------------- PINs


def validate_pin(pin: str) -> str:
    """The PIN if it is 4 to 8 digits and not one digit repeated or a run like 1234; else ValidationError."""
    pin = (pin or "").strip()
    if not _PIN.fullmatch(pin):
        raise ValidationError(_("Use 4 to 8 digits for the PIN."), field="pin")
    digits = [int(c) for c in pin]
    steps = {b - a for a, b in itertools.pairwise(digits)}
    if len(set(digits)) == 1 or steps in ({1}, {-1}):
        raise ValidationError(
            _("That PIN is too easy to guess. Avoid repeated or consecutive digits."), field="pin"
        )
    return pin


def pin_of(person: User) -> CrewPin | None:
    return db.session.scalars(select(CrewPin).where(CrewPin.user_id == person.id)).one_or_none()


def set_pin(person: User, pin: str, *, by: User | None, must_choose: bool = True) -> CrewPin:
    """Set *person*'s PIN (by a manager: they choose their own at their next sign-in); unlock it."""
    pin = validate_pin(pin)
    row = pin_of(person)
    if row is None:
        row = CrewPin(user_id=person.id, pin_hash="")
        db.session.add(row)
    row.pin_hash = _hasher.hash(pin)
    row.must_choose = must_choose
    row.failures = 0
    row.locked_until = None
    row.set_at = utcnow()
    row.set_by_id = by.id if by is not None else None
    db.session.flush()
    if by is not None and by.id == person.id:
        audit.record("crew.pin_chosen", target=person)
    else:
        audit.record("crew.pin_set", target=person, after={"must_choose": must_choose})
    return row


def choose_pin(person: User, pin: str) -> CrewPin:
    """Let *person* replace the PIN a manager gave them with one only they know."""
    return set_pin(person, pin, by=person, must_choose=False)


def must_choose_pin(person: User) -> bool:
    row = pin_of(person)
    return row is not None and row.must_choose


# ---------------------------------------------------------------- badges


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def active_badges(person_ids: list[int]) -> dict[int, CrewBadge]:
    """The badge that works today of each of *person_ids* (absent: none)."""
    if not person_ids:
        return {}
    rows = db.session.scalars(
        select(CrewBadge).where(CrewBadge.user_id.in_(person_ids), CrewBadge.revoked_at.is_(None))
    )
    return {row.user_id: row for row in rows}


def pins_of(person_ids: list[int]) -> dict[int, CrewPin]:
    if not person_ids:
        return {}
    return {
        row.user_id: row for row in db.session.scalars(select(CrewPin).where(CrewPin.user_id.in_(person_ids)))
    }


def revoke_badges(person: User, *, by: User | None, reason: str = "revoked") -> int:
    """Stop every badge of *person* from working; return how many were working."""
    ended = 0
    for badge in db.session.scalars(
        select(CrewBadge).where(CrewBadge.user_id == person.id, CrewBadge.revoked_at.is_(None))
    ):
        badge.revoked_at = utcnow()
        ended += 1
    if ended and reason == "revoked":
        audit.record("crew.badge_revoked", target=person, after={"count": ended})
    return ended


def issue_badge(person: User, *, by: User | None) -> str:
    """Give *person* a new badge and return its token (shown once, on the printed card); old ones stop."""
    if not person.employee_id:
        raise ValidationError(
            _("Give %(name)s an employee ID before printing a badge.", name=person.full_name), field="people"
        )
    revoked = revoke_badges(person, by=by, reason="replaced")
    token = secrets.token_urlsafe(24)
    badge = CrewBadge(user_id=person.id, token_hash=_token_hash(token), issued_by_id=by.id if by else None)
    db.session.add(badge)
    db.session.flush()
    audit.record("crew.badge_issued", target=person, after={"badge_id": badge.id, "replaced": revoked})
    return token


def token_from_scan(scanned: str) -> str | None:
    """The badge token in what a scanner typed: the QR's URL (…/crew?badge=…) or the bare token."""
    text = (scanned or "").strip()
    if "badge=" in text:
        values = parse_qs(urlsplit(text).query).get("badge") or parse_qs(text.partition("?")[2]).get("badge")
        text = (values or [""])[0].strip()
    return text if _TOKEN.fullmatch(text) else None


def badge_for(token: str) -> CrewBadge | None:
    """The badge of *token* in this portal (revoked ones too), else None. Tenant-scoped like every query."""
    return db.session.scalars(
        select(CrewBadge).where(CrewBadge.token_hash == _token_hash(token))
    ).one_or_none()


def holder_of_badge(scanned: str) -> User:
    """The active person whose working badge was scanned; SignInRefused saying why not otherwise."""
    token = token_from_scan(scanned)
    badge = badge_for(token) if token else None
    if badge is None:
        raise SignInRefused(_("This badge is not known in this portal. Ask your manager for a new one."))
    if badge.revoked_at is not None:
        raise SignInRefused(_("This badge no longer works. Ask your manager for a new one."))
    if not badge.user.is_active:
        raise SignInRefused(_("This badge is not known in this portal. Ask your manager for a new one."))
    return badge.user


def person_with_employee_id(employee_id: str) -> User | None:
    employee_id = (employee_id or "").strip()
    if not employee_id:
        return None
    return db.session.scalars(select(User).where(User.employee_id == employee_id)).one_or_none()


# ---------------------------------------------------------------- signing in


def sign_in_with_pin(person: User | None, pin: str) -> User:
    """Return *person* if *pin* is their PIN and they may sign in; SignInRefused otherwise.

    Wrong PINs count against the person's PIN and lock it for a while after LOGIN_MAX_FAILURES,
    committed even though the sign-in fails. Unknown people take as long as known ones.
    """
    config = current_app.config
    generic = _("That employee ID or badge and PIN do not match an active account in this portal.")
    row = pin_of(person) if person is not None else None
    now = utcnow()
    if row is not None and row.locked_until is not None and row.locked_until > now:
        raise SignInRefused(
            _(
                "Too many wrong PINs. Try again in %(minutes)d minutes, or ask your manager to reset it.",
                minutes=config["LOGIN_LOCKOUT_MINUTES"],
            )
        )
    if row is None or person is None:
        with contextlib.suppress(VerificationError):
            _hasher.verify(_DUMMY_HASH, pin or "-")
        raise SignInRefused(generic)
    matches = False
    with contextlib.suppress(VerificationError, InvalidHashError):
        matches = _hasher.verify(row.pin_hash, pin or "")
    if not matches:
        row.failures += 1
        if row.failures >= config["LOGIN_MAX_FAILURES"]:
            row.locked_until = now + timedelta(minutes=config["LOGIN_LOCKOUT_MINUTES"])
            row.failures = 0
            audit.record("user.locked_out", target=person, after={"by": "pin"})
        db.session.commit()
        raise SignInRefused(generic)
    if person.status != UserStatus.active.value:
        raise SignInRefused(generic)
    if _hasher.check_needs_rehash(row.pin_hash):
        row.pin_hash = _hasher.hash(pin)
    row.failures = 0
    row.locked_until = None
    person.last_login_at = now  # the audit log's "signed in" is written when the session starts
    return person


def add_crew_member(manager: User, *, full_name: str, employee_id: str, email: str | None, pin: str) -> User:
    """Add a crew member to *manager*'s unit and team, with an employee ID, a first PIN, maybe no email."""
    from app.accounts.services import create_user

    if not (employee_id or "").strip():
        raise ValidationError(_("Enter the crew member's employee ID."), field="employee_id")
    validate_pin(pin)
    person = create_user(
        email or None,
        full_name,
        employee_id=employee_id,
        org_unit_id=manager.org_unit_id,
        manager_id=manager.id,
        role_keys=("learner",),
    )
    set_pin(person, pin, by=manager, must_choose=True)
    return person
