"""Two-step sign-in with an authenticator app (TOTP, RFC 6238): enrol, check a code, recovery codes,
turn off, an admin's reset, and who must use it. Every change is audited."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from datetime import timedelta

import pyotp
import segno
from flask import current_app, g
from flask_babel import gettext as _
from sqlalchemy import delete, select

from app import audit, sealing
from app.accounts import permissions as perms
from app.accounts.models import User
from app.errors import ValidationError
from app.extensions import db
from app.identity.two_step.models import RecoveryCode, TwoStepSecret
from app.tenancy.models import utcnow

STEP_SECONDS = 30
DIGITS = 6
RECOVERY_CODES = 10
# A portal that requires two-step for admins requires it of anyone holding one of these.
ADMIN_PERMISSIONS = (
    perms.USERS_MANAGE,
    perms.ROLES_MANAGE,
    perms.GROUPS_MANAGE,
    perms.ORG_MANAGE,
    perms.INTEGRATIONS_MANAGE,
    perms.BRANDING_MANAGE,
    perms.POLICIES_MANAGE,
)


class TwoStepRefused(Exception):
    """A code was not accepted; *locked* when too many wrong ones ended the sign-in."""

    def __init__(self, message: str, *, locked: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.locked = locked


def secret_row(user: User) -> TwoStepSecret | None:
    return db.session.scalars(select(TwoStepSecret).where(TwoStepSecret.user_id == user.id)).first()


def is_enabled(user: User) -> bool:
    row = secret_row(user)
    return row is not None and row.enabled


def is_required(user: User) -> bool:
    """Operators always; a portal's admins when the portal's sign-in settings say so."""
    from app.identity.ways import settings

    tenant = g.get("tenant")
    if tenant is not None and tenant.is_platform:
        return True
    if not settings().require_two_step_for_admins:
        return False
    return any(user.can(permission) for permission in ADMIN_PERMISSIONS)


def secret_of(row: TwoStepSecret) -> str:
    return sealing.unseal_text(row.secret_sealed, purpose=row.purpose)


def _totp(secret: str) -> pyotp.TOTP:
    # SHA-1, 6 digits, 30 seconds: what every authenticator app understands.
    return pyotp.TOTP(secret, digits=DIGITS, interval=STEP_SECONDS)


def current_step(now: float | None = None) -> int:
    return int((time.time() if now is None else now) // STEP_SECONDS)


def start_enrolment(user: User) -> TwoStepSecret:
    """Give *user* a new, not yet confirmed secret to scan (two-step is not on until a code confirms it)."""
    row = secret_row(user)
    if row is not None and row.enabled:
        raise ValidationError(_("Two-step sign-in is already on for your account."))
    if row is None:
        row = TwoStepSecret(user_id=user.id, secret_sealed=b"")
        db.session.add(row)
        db.session.flush()
    row.secret_sealed = sealing.seal_text(pyotp.random_base32(), purpose=row.purpose)
    row.last_used_step = 0
    row.failures = 0
    row.created_at = utcnow()
    return row


def provisioning_uri(user: User, row: TwoStepSecret, issuer: str) -> str:
    return _totp(secret_of(row)).provisioning_uri(name=user.email, issuer_name=issuer)


def qr_data_uri(uri: str) -> str:
    """The QR code of *uri*, as an SVG image in a data: URI."""
    return str(segno.make(uri, error="m").svg_data_uri(scale=5, border=2, dark="#000", light="#fff"))


def formatted_secret(row: TwoStepSecret) -> str:
    """The secret in groups of four, for typing into an app by hand."""
    secret = secret_of(row)
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def _clean_code(code: str) -> str:
    return "".join(ch for ch in (code or "") if not ch.isspace() and ch != "-").lower()


def _matching_step(row: TwoStepSecret, code: str) -> int | None:
    """The time step (now, or one either side) whose code is *code* and that was not used before."""
    if len(code) != DIGITS or not code.isdigit():
        return None
    totp = _totp(secret_of(row))
    now = current_step()
    for step in (now - 1, now, now + 1):
        if step > row.last_used_step and hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def confirm_enrolment(user: User, code: str) -> list[str]:
    """Turn two-step on for *user* once *code* shows their app has the secret; their recovery codes."""
    row = secret_row(user)
    if row is None:
        raise ValidationError(_("Start setting up two-step sign-in again."), field="code")
    if row.enabled:
        raise ValidationError(_("Two-step sign-in is already on for your account."), field="code")
    step = _matching_step(row, _clean_code(code))
    if step is None:
        raise ValidationError(
            _("That code does not match. Enter the 6-digit code your app shows now."), field="code"
        )
    row.confirmed_at = utcnow()
    row.last_used_step = step
    row.failures = 0
    codes = _new_recovery_codes(user)
    audit.record("two_step.enrolled", target=user)
    return codes


def _hash_code(code: str) -> str:
    return hashlib.sha256(f"atrium-recovery:{_clean_code(code)}".encode()).hexdigest()


def _new_recovery_codes(user: User) -> list[str]:
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    alphabet = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i to misread
    codes = []
    for _n in range(RECOVERY_CODES):
        raw = "".join(secrets.choice(alphabet) for _c in range(10))
        codes.append(f"{raw[:5]}-{raw[5:]}")
        db.session.add(RecoveryCode(user_id=user.id, code_hash=_hash_code(raw)))
    return codes


def regenerate_recovery_codes(user: User) -> list[str]:
    """Replace *user*'s recovery codes with ten new ones (the old ones stop working)."""
    if not is_enabled(user):
        raise ValidationError(_("Turn on two-step sign-in first."))
    codes = _new_recovery_codes(user)
    audit.record("two_step.recovery_codes_renewed", target=user)
    return codes


def recovery_codes_left(user: User) -> int:
    return len(
        db.session.scalars(
            select(RecoveryCode.id).where(RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))
        ).all()
    )


def check_code(user: User, code: str) -> str:
    """Accept a current code or an unused recovery code of *user*: which it was ("code", "recovery").

    A wrong code is counted (and committed, since the request then fails); after LOGIN_MAX_FAILURES
    in a row, codes are refused for LOGIN_LOCKOUT_MINUTES and the refusal says the sign-in ended.
    """
    config = current_app.config
    row = secret_row(user)
    if row is None or not row.enabled:
        raise TwoStepRefused(_("Two-step sign-in is not on for this account. Sign in again."), locked=True)
    now = utcnow()
    if row.locked_until is not None and row.locked_until > now:
        raise TwoStepRefused(
            _(
                "Too many wrong codes. Try again in %(minutes)d minutes.",
                minutes=config["LOGIN_LOCKOUT_MINUTES"],
            ),
            locked=True,
        )
    cleaned = _clean_code(code)
    step = _matching_step(row, cleaned)
    if step is not None:
        row.last_used_step = step
        row.failures = 0
        return "code"
    if len(cleaned) == 10 and not cleaned.isdigit():
        recovery = db.session.scalars(
            select(RecoveryCode).where(
                RecoveryCode.user_id == user.id,
                RecoveryCode.code_hash == _hash_code(cleaned),
                RecoveryCode.used_at.is_(None),
            )
        ).first()
        if recovery is not None:
            recovery.used_at = now
            row.failures = 0
            audit.record(
                "two_step.recovery_code_used", target=user, after={"left": recovery_codes_left(user)}
            )
            return "recovery"
    row.failures += 1
    audit.record("two_step.code_refused", target=user)
    locked = row.failures >= config["LOGIN_MAX_FAILURES"]
    if locked:
        row.failures = 0
        row.locked_until = now + timedelta(minutes=config["LOGIN_LOCKOUT_MINUTES"])
        audit.record("two_step.locked_out", target=user)
    db.session.commit()
    if locked:
        raise TwoStepRefused(
            _(
                "Too many wrong codes: sign in again in %(minutes)d minutes.",
                minutes=config["LOGIN_LOCKOUT_MINUTES"],
            ),
            locked=True,
        )
    raise TwoStepRefused(
        _("That code is wrong or was used already. Enter the new code your app shows, or a recovery code.")
    )


def turn_off(user: User, code: str) -> None:
    """Turn two-step off for *user*, who proves they still hold it with a current or recovery code."""
    if is_required(user):
        raise ValidationError(_("Your portal requires two-step sign-in for your account, so it stays on."))
    if not (code or "").strip():
        raise ValidationError(_("Enter the code your app shows now, or a recovery code."), field="code")
    try:
        check_code(user, code)
    except TwoStepRefused as refused:
        raise ValidationError(refused.message, field="code") from None
    _remove(user)
    audit.record("two_step.disabled", target=user)


def reset(user: User) -> bool:
    """An admin's reset: *user*'s two-step is removed, they set it up again. False if it was off."""
    if secret_row(user) is None:
        return False
    _remove(user)
    audit.record("two_step.reset", target=user)
    return True


def _remove(user: User) -> None:
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    db.session.execute(delete(TwoStepSecret).where(TwoStepSecret.user_id == user.id))
