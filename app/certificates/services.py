"""Certificates: made when a certification is awarded or renewed, revoked with it, checked by anyone."""

from __future__ import annotations

import enum
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update

from app import audit, jobs
from app.accounts.models import User
from app.certificates import serials
from app.certificates.models import Certificate
from app.extensions import db
from app.tenancy.models import utcnow

# Without a word from the certification, a certificate shows "expiring" this long before its expiry.
DEFAULT_EXPIRING_WINDOW = timedelta(days=30)


class CertificateStatus(enum.StrEnum):
    pending = "pending"  # recorded, the PDF not yet made
    valid = "valid"
    expiring = "expiring"
    expired = "expired"
    revoked = "revoked"
    unknown = "unknown"


class UploadVerdict(enum.StrEnum):
    genuine = "genuine"  # this exact file was issued here
    altered = "altered"  # it names one of our certificates, but is not the file we issued
    unknown = "unknown"  # it names no certificate of this portal


def _when(value: str | None) -> datetime | None:
    if not value:
        return None
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=utcnow().tzinfo)


def record_award(payload: dict[str, Any]) -> Certificate:
    """Record the certificate of one award (``certification.awarded``/``renewed``) and ask for its PDF.

    One certificate per (record, cycle): a replayed event finds it and changes nothing.
    """
    record_id, cycle = int(payload["record_id"]), int(payload["cycle"])
    existing = db.session.scalars(
        select(Certificate).where(Certificate.record_id == record_id, Certificate.cycle == cycle)
    ).first()
    if existing is not None:
        return existing
    holder = db.session.get(User, int(payload["user_id"]))
    if holder is None:
        raise LookupError(f"no user {payload['user_id']} in this tenant")
    awarded_at = _when(payload["awarded_at"])
    assert awarded_at is not None
    certificate = Certificate(
        serial=serials.new_serial(),
        record_id=record_id,
        cycle=cycle,
        user_id=holder.id,
        certification_id=int(payload["certification_id"]),
        holder_name=holder.full_name,
        title=str(payload["certification_title"])[:200],
        awarded_at=awarded_at,
        expires_at=_when(payload.get("expires_at")),
        status_index=_next_status_index(),
    )
    db.session.add(certificate)
    db.session.flush()
    jobs.enqueue(
        "app.certificates.jobs:issue_certificate",
        certificate.id,
        queue="certificates",
        job_key=f"certificate:{certificate.id}",
    )
    return certificate


def _next_status_index() -> int:
    highest = db.session.scalar(select(func.max(Certificate.status_index)))
    return 0 if highest is None else highest + 1


def _certificates_of(record_id: int, cycle: int | None = None) -> list[Certificate]:
    query = select(Certificate).where(Certificate.record_id == record_id)
    if cycle is not None:
        query = query.where(Certificate.cycle == cycle)
    return list(db.session.scalars(query))


def revoke_record(payload: dict[str, Any]) -> list[Certificate]:
    """Mark every certificate of the record revoked, with the reason the verify page shows."""
    changed = []
    for certificate in _certificates_of(int(payload["record_id"])):
        if certificate.revoked_at is None:
            certificate.revoked_at = utcnow()
            certificate.revocation_reason = (payload.get("reason") or "").strip()[:1000] or None
            changed.append(certificate)
            audit.record(
                "certificate.revoked", target=certificate, after={"reason": certificate.revocation_reason}
            )
    return changed


def reinstate_record(payload: dict[str, Any]) -> list[Certificate]:
    """Make the record's revoked certificates valid again."""
    changed = []
    for certificate in _certificates_of(int(payload["record_id"])):
        if certificate.revoked_at is not None:
            certificate.revoked_at, certificate.revocation_reason = None, None
            changed.append(certificate)
            audit.record("certificate.reinstated", target=certificate)
    return changed


def note_expiring(payload: dict[str, Any]) -> None:
    """Remember when the certification said this award entered its renewal window."""
    for certificate in _certificates_of(int(payload["record_id"]), int(payload["cycle"])):
        if certificate.expiring_since is None:
            certificate.expiring_since = utcnow()


def status_of(certificate: Certificate | None, now: datetime | None = None) -> CertificateStatus:
    """What the verify page says of *certificate*: derived from its dates and revocation, now."""
    if certificate is None:
        return CertificateStatus.unknown
    now = now or utcnow()
    if certificate.revoked_at is not None:
        return CertificateStatus.revoked
    if certificate.expires_at is not None and certificate.expires_at <= now:
        return CertificateStatus.expired
    if certificate.expires_at is not None and (
        certificate.expiring_since is not None or certificate.expires_at - now <= DEFAULT_EXPIRING_WINDOW
    ):
        return CertificateStatus.expiring
    if not certificate.is_issued:
        return CertificateStatus.pending
    return CertificateStatus.valid


def find_by_serial(text: str) -> Certificate | None:
    """The current tenant's certificate with the serial *text* (as typed), or None: one indexed lookup."""
    serial = serials.normalise(text)
    if serial is None:
        return None
    return db.session.scalars(select(Certificate).where(Certificate.serial == serial)).first()


def verify_upload(data: bytes) -> tuple[UploadVerdict, Certificate | None]:
    """Say whether *data* is a certificate PDF this portal issued, unchanged."""
    from app.certificates import documents

    digest = documents.sha256(data)
    issued = db.session.scalars(select(Certificate).where(Certificate.pdf_sha256 == digest)).first()
    if issued is not None and documents.signature_intact(data):
        return UploadVerdict.genuine, issued
    serial = documents.printed_serial(data)
    named = find_by_serial(serial) if serial else None
    if issued is not None or named is not None:
        return UploadVerdict.altered, issued or named
    return UploadVerdict.unknown, None


def certificates_for_records(record_ids: Iterable[int]) -> dict[int, Certificate]:
    """The latest cycle's certificate of each record, in one statement (for My certifications)."""
    ids = sorted({int(i) for i in record_ids})
    if not ids:
        return {}
    latest = (
        select(Certificate.record_id, func.max(Certificate.cycle).label("cycle"))
        .where(Certificate.record_id.in_(ids))
        .group_by(Certificate.record_id)
        .subquery()
    )
    rows = db.session.scalars(
        select(Certificate).join(
            latest, (Certificate.record_id == latest.c.record_id) & (Certificate.cycle == latest.c.cycle)
        )
    )
    return {c.record_id: c for c in rows}


def may_download(certificate: Certificate, user: Any) -> bool:
    """The holder, or someone who manages the portal's people."""
    from app.accounts import permissions as perms

    if not getattr(user, "is_authenticated", False):
        return False
    return bool(user.id == certificate.user_id or user.can(perms.USERS_MANAGE))


def mark_issued(certificate_id: int, *, sha256: str, storage_key: str, kid: str, badge: dict | None) -> bool:
    """Record the signed PDF of a certificate that has none yet; False if another run got there first."""
    result: Any = db.session.execute(
        update(Certificate)
        .where(Certificate.id == certificate_id, Certificate.pdf_sha256.is_(None))
        .values(pdf_sha256=sha256, pdf_key=storage_key, pdf_kid=kid, badge=badge, issued_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)
