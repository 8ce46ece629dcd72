"""The nightly sweep: move a tenant's held certifications the clock has reached into their renewal window,
or expired after the grace period. Run twice, or by two workers at once, it moves each record once."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from app.certifications.models import HOLDING, Certification, CertificationRecord
from app.certifications.services.lifecycle import advance_by_time, locked
from app.extensions import db
from app.tenancy.models import utcnow


def sweep(now: datetime | None = None) -> dict[str, int]:
    """Move this tenant's records the clock has reached: into the renewal window, or expired."""
    now = now or utcnow()
    counts = {"expiring": 0, "expired": 0}
    latest_window = max(db.session.scalars(select(Certification.renewal_window_days)).all() or [0])
    due = db.session.scalars(
        select(CertificationRecord)
        .where(
            CertificationRecord.state.in_(HOLDING),
            CertificationRecord.expires_at.is_not(None),
            CertificationRecord.expires_at <= now + timedelta(days=latest_window),
        )
        .order_by(CertificationRecord.id)
    ).all()
    for record in due:
        moved = advance_by_time(locked(record), now=now)
        if moved == "certification.expiring":
            counts["expiring"] += 1
        elif moved == "certification.expired":
            counts["expired"] += 1
    return counts
