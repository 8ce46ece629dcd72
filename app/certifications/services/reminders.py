"""Reminder emails on each certification's schedule, and the weekly digest for managers; each sent once.

A send is a marker row with a unique key, written in the same transaction as the job that sends it:
the sweep run twice, or retried after a crash, finds the key taken and queues nothing.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from app import jobs
from app.accounts import org
from app.accounts import permissions as perms
from app.accounts.models import User, UserStatus
from app.certifications.models import (
    HOLDING,
    Certification,
    CertificationNotice,
    CertificationRecord,
    RecordState,
)
from app.extensions import db
from app.tenancy.models import insert_unless_exists, utcnow


def due_reminder(cert: Certification, expires_at: datetime, now: datetime) -> int | None:
    """The reminder (days before expiry) due at *now*: the latest one reached, until the day after expiry."""
    if now >= expires_at + timedelta(days=1):
        return None
    reached = [d for d in cert.reminder_days or [] if expires_at - timedelta(days=d) <= now]
    return min(reached) if reached else None


def _mark(key: str, user_id: int) -> int | None:
    return insert_unless_exists(CertificationNotice, key=key, user_id=user_id, created_at=utcnow())


def queue_reminders(now: datetime | None = None) -> int:
    """Queue the reminders due now for this tenant's held certifications; how many were queued."""
    now = now or utcnow()
    furthest = max(
        (max(c.reminder_days or [0]) for c in db.session.scalars(select(Certification))), default=0
    )
    rows = db.session.scalars(
        select(CertificationRecord)
        .where(
            CertificationRecord.state.in_(HOLDING),
            CertificationRecord.expires_at.is_not(None),
            CertificationRecord.expires_at <= now + timedelta(days=furthest),
            CertificationRecord.expires_at > now - timedelta(days=1),
        )
        .order_by(CertificationRecord.id)
    ).all()
    queued = 0
    for record in rows:
        assert record.expires_at is not None
        days = due_reminder(record.certification, record.expires_at, now)
        if days is None:
            continue
        key = f"reminder:{record.id}:{record.cycle}:{days}"
        notice_id = _mark(key, record.user_id)
        if notice_id is None:
            continue  # sent already (or being sent)
        jobs.enqueue("app.certifications.jobs:send_reminder", notice_id, record.id, days, job_key=key)
        queued += 1
    return queued


def digest_rows(manager: User) -> list[CertificationRecord]:
    """The expiring and expired certifications of the people *manager* reaches."""
    return list(
        db.session.scalars(
            select(CertificationRecord)
            .where(
                CertificationRecord.user_id.in_(org.reach_select(manager)),
                CertificationRecord.state.in_((RecordState.expiring.value, RecordState.expired.value)),
            )
            .order_by(CertificationRecord.expires_at, CertificationRecord.id)
        )
    )


def queue_digests(now: datetime | None = None) -> int:
    """Queue this week's digest for each manager whose people have expiring or expired certifications."""
    now = now or utcnow()
    year, week, _day = now.isocalendar()
    queued = 0
    managers = db.session.scalars(
        select(User).where(User.status == UserStatus.active.value).order_by(User.id)
    ).all()
    for manager in managers:
        if not manager.can(perms.TEAM_VIEW) or not digest_rows(manager):
            continue
        key = f"digest:{manager.id}:{year}-W{week:02d}"
        notice_id = _mark(key, manager.id)
        if notice_id is None:
            continue
        jobs.enqueue("app.certifications.jobs:send_digest", notice_id, manager.id, job_key=key)
        queued += 1
    return queued
