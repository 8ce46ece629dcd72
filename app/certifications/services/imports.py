"""Import past awards from CSV (email, awarded_at, expires_at, note): every row checked first, and
nothing written unless every row is valid; each problem names its row."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from sqlalchemy import func, select

from app import audit
from app.accounts.models import User
from app.certifications.models import HOLDING, Certification, CertificationRecord, RecordState
from app.certifications.services import lifecycle
from app.errors import ValidationError
from app.extensions import db
from app.tenancy.models import utcnow

COLUMNS = ("email", "awarded_at", "expires_at", "note")
MAX_ROWS = 5000


@dataclass(frozen=True)
class RowError:
    row: int  # the line of the file (the header is line 1)
    message: str


@dataclass(frozen=True)
class ImportRow:
    row: int
    user: User
    awarded_at: datetime
    expires_at: datetime | None
    note: str


class ImportRefused(Exception):
    """The file had problems; nothing was imported."""

    def __init__(self, errors: list[RowError]) -> None:
        super().__init__(f"{len(errors)} problems")
        self.errors = errors


def _moment(text: str, zone: str) -> datetime | None:
    """A date (2025-03-01) or an ISO 8601 time; a date, or a time without offset, is in *zone*.

    The start of the day where the admin is, so the date shows as typed (midnight UTC is yesterday in
    the Americas)."""
    text = text.strip()
    try:
        if len(text) == 10:
            return datetime.combine(date.fromisoformat(text), time(0), ZoneInfo(zone)).astimezone(UTC)
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=ZoneInfo(zone)).astimezone(UTC)


def _decode(data: bytes) -> str:
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1")


def check_rows(
    cert: Certification, data: bytes, now: datetime | None = None, zone: str = "UTC"
) -> list[ImportRow]:
    """Read and check every row; raise ImportRefused listing each problem with its row."""
    now = now or utcnow()
    reader = csv.DictReader(io.StringIO(_decode(data)))
    header = [h.strip().lower() for h in (reader.fieldnames or [])]
    if "email" not in header or "awarded_at" not in header:
        raise ImportRefused(
            [RowError(1, _("The first line must name the columns: email, awarded_at, expires_at, note."))]
        )
    reader.fieldnames = header
    raw_rows = list(reader)
    if not raw_rows:
        raise ImportRefused([RowError(2, _("The file has no awards in it."))])
    if len(raw_rows) > MAX_ROWS:
        raise ImportRefused([RowError(1, _("Import at most %(n)d awards at a time.", n=MAX_ROWS))])
    emails = {(r.get("email") or "").strip().casefold() for r in raw_rows}
    people = {
        (u.email or "").casefold(): u
        for u in db.session.scalars(select(User).where(func.lower(User.email).in_(emails)))
    }
    records = {
        r.user_id: r
        for r in db.session.scalars(
            select(CertificationRecord).where(CertificationRecord.certification_id == cert.id)
        )
    }
    errors: list[RowError] = []
    rows: list[ImportRow] = []
    seen: dict[str, int] = {}
    for number, raw in enumerate(raw_rows, start=2):
        email = (raw.get("email") or "").strip()
        awarded_text = (raw.get("awarded_at") or "").strip()
        expires_text = (raw.get("expires_at") or "").strip()
        note = (raw.get("note") or "").strip()
        user = people.get(email.casefold())
        if not email:
            errors.append(RowError(number, _("The email is missing.")))
            continue
        if user is None:
            errors.append(RowError(number, _("Nobody in this portal has the email %(email)s.", email=email)))
            continue
        if email.casefold() in seen:
            errors.append(
                RowError(
                    number, _("%(email)s is already on row %(row)d.", email=email, row=seen[email.casefold()])
                )
            )
            continue
        seen[email.casefold()] = number
        awarded_at = _moment(awarded_text, zone)
        if awarded_at is None:
            errors.append(
                RowError(number, _("“%(value)s” is not a date (use 2025-03-31).", value=awarded_text))
            )
            continue
        if awarded_at > now:
            errors.append(
                RowError(number, _("The award date %(value)s is in the future.", value=awarded_text))
            )
            continue
        expires_at = None
        if expires_text:
            expires_at = _moment(expires_text, zone)
            if expires_at is None:
                errors.append(
                    RowError(number, _("“%(value)s” is not a date (use 2025-03-31).", value=expires_text))
                )
                continue
            if expires_at <= awarded_at:
                errors.append(RowError(number, _("The expiry must come after the award.")))
                continue
        record = records.get(user.id)
        if record is not None and record.state == RecordState.revoked.value:
            errors.append(RowError(number, _("The award of %(email)s is revoked.", email=email)))
            continue
        if (
            record is not None
            and record.state in HOLDING
            and record.awarded_at
            and record.awarded_at >= awarded_at
        ):
            errors.append(
                RowError(number, _("%(email)s already holds it from a later or the same award.", email=email))
            )
            continue
        rows.append(ImportRow(number, user, awarded_at, expires_at, note))
    if errors:
        raise ImportRefused(errors)
    return rows


def import_awards(
    cert: Certification, data: bytes, *, by: User | None, filename: str = "", zone: str = "UTC"
) -> int:
    """Import every row of the CSV as a past award, or nothing (raises ImportRefused); how many."""
    rows = check_rows(cert, data, zone=zone)
    for row in rows:
        record, _new = lifecycle.ensure_record(cert, row.user)
        try:
            lifecycle.award_manually(
                record,
                by=by,
                note=row.note,
                awarded_at=row.awarded_at,
                expires_at=row.expires_at,
                evidence={"file": filename} if filename else None,
                how="import",
            )
        except ValidationError as refused:  # changed by someone else since the check: the caller rolls back
            raise ImportRefused([RowError(row.row, refused.message)]) from None
    audit.record("certification.imported", target=cert, after={"title": cert.title, "rows": len(rows)})
    return len(rows)
