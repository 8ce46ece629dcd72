"""A person's certification record over time: start, award, renew, expire, revoke, reinstate.

Every change locks the record's row first and checks its state again, so an event replayed, two
requests at once or the sweep run twice make one transition, never two. Each transition is kept
as history, recorded in the audit log and emitted (the payload of ``event_payload``), in the
transaction that makes it.
"""

from __future__ import annotations

import calendar
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select

from app import audit, events
from app.accounts.models import User
from app.certifications.models import (
    HOLDING,
    Certification,
    CertificationRecord,
    CertificationStatus,
    Phase,
    RecordState,
    RequirementKind,
    Transition,
    Validity,
)
from app.certifications.services import requirements as done
from app.errors import ValidationError
from app.extensions import db
from app.tenancy.models import insert_unless_exists, utcnow

# The audit action of each state a record moves into.
ACTIONS = {
    RecordState.in_progress.value: "certification.started",
    RecordState.certified.value: "certification.awarded",
    RecordState.expiring.value: "certification.expiring",
    RecordState.expired.value: "certification.expired",
    RecordState.revoked.value: "certification.revoked",
}


# ---------------------------------------------------------------- dates


def add_months(moment: datetime, months: int) -> datetime:
    """*moment* plus *months* calendar months; the 31st becomes the month's last day when it has none."""
    month_index = moment.month - 1 + months
    year, month = moment.year + month_index // 12, month_index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def expiry_from(cert: Certification, start: datetime) -> datetime | None:
    """When an award made (or a validity extended) from *start* expires; None when it never does."""
    if cert.validity == Validity.months.value and cert.validity_months:
        return add_months(start, cert.validity_months)
    if cert.validity == Validity.fixed_date.value and cert.valid_until:
        # Valid through the whole of that day where the portal is: it ends at the portal's midnight.
        return datetime.combine(cert.valid_until + timedelta(days=1), time(0), _portal_zone(cert)).astimezone(
            UTC
        )
    return None


def _portal_zone(cert: Certification) -> tzinfo:
    from zoneinfo import ZoneInfo

    from app.tenancy.models import Tenant

    tenant = db.session.get(Tenant, cert.tenant_id)
    try:
        return ZoneInfo(tenant.time_zone) if tenant is not None and tenant.time_zone else UTC
    except (KeyError, ValueError):
        return UTC


def grace_end(cert: Certification, expires_at: datetime | None) -> datetime | None:
    return None if expires_at is None else expires_at + timedelta(days=cert.grace_days or 0)


def window_opens(cert: Certification, expires_at: datetime) -> datetime:
    return expires_at - timedelta(days=cert.renewal_window_days or 0)


def utc_iso(value: datetime | None) -> str | None:
    return None if value is None else value.astimezone(UTC).isoformat().replace("+00:00", "Z")


# ---------------------------------------------------------------- records and transitions


def event_payload(record: CertificationRecord, reason: str | None = None) -> dict[str, Any]:
    """What every certification.* event carries (the contract app.certificates relies on)."""
    return {
        "record_id": record.id,
        "user_id": record.user_id,
        "certification_id": record.certification_id,
        "certification_title": record.certification.title,
        "cycle": record.cycle,
        "awarded_at": utc_iso(record.awarded_at),
        "expires_at": utc_iso(record.expires_at),
        "reason": reason,
    }


def record_of(cert_id: int, user_id: int) -> CertificationRecord | None:
    return db.session.scalars(
        select(CertificationRecord).where(
            CertificationRecord.certification_id == cert_id, CertificationRecord.user_id == user_id
        )
    ).first()


def locked(record: CertificationRecord) -> CertificationRecord:
    """The record's row locked for this transaction, and its state as committed (not as loaded)."""
    statement = (
        select(CertificationRecord)
        .where(CertificationRecord.id == record.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return db.session.scalars(statement).one()


def ensure_record(cert: Certification, user: User) -> tuple[CertificationRecord, bool]:
    """The person's record of *cert*, created (not started) if they had none; and whether it is new."""
    existing = record_of(cert.id, user.id)
    if existing is not None:
        return existing, False
    record_id = insert_unless_exists(
        CertificationRecord,
        certification_id=cert.id,
        user_id=user.id,
        state=RecordState.not_started.value,
        cycle=0,
        evidence={},
        created_at=utcnow(),
        updated_at=utcnow(),
    )
    if record_id is None:  # created by another transaction at the same moment
        raced = record_of(cert.id, user.id)
        assert raced is not None
        return raced, False
    record = db.session.get(CertificationRecord, record_id)
    assert record is not None
    return record, True


def _move(
    record: CertificationRecord,
    to_state: str,
    *,
    at: datetime,
    by: User | None = None,
    reason: str | None = None,
    action: str | None = None,
) -> None:
    from_state = record.state
    record.state = to_state
    record.updated_at = at
    db.session.add(
        Transition(
            record_id=record.id,
            from_state=from_state,
            to_state=to_state,
            cycle=record.cycle,
            at=at,
            by_id=by.id if by else None,
            reason=reason,
        )
    )
    user = db.session.get(User, record.user_id)
    audit.record(
        action or ACTIONS[to_state],
        target=record,
        before={"state": from_state},
        after={
            "state": to_state,
            "certification": record.certification.title,
            "user_id": record.user_id,
            "user": user.email if user else None,
            "cycle": record.cycle,
            "expires_at": utc_iso(record.expires_at),
            "reason": reason,
        },
    )


def start(
    cert: Certification, user: User, *, now: datetime | None = None, due_on: date | None = None
) -> CertificationRecord:
    """Ask *user* to earn *cert*: their record is in progress and they are enrolled in what it needs
    (due *due_on*, when an enrolment rule sets a due date)."""
    now = now or utcnow()
    record, _new = ensure_record(cert, user)
    record = locked(record)
    if record.state != RecordState.not_started.value:
        return record
    _move(record, RecordState.in_progress.value, at=now)
    enrol_in_requirements(record, user, Phase.initial.value, due_on=due_on)
    evaluate(record, now=now)
    return record


def enrol_in_requirements(record: CertificationRecord, user: User, phase: str, *, due_on: date | None) -> int:
    """Enrol *user* in the courses and paths *phase* asks for; a renewal enrols again in what was done."""
    from app.learning.models import Course, LearningPath
    from app.learning.services import enrollments as enrolling

    wanted = record.certification.requirements_of(phase)
    if phase == Phase.renewal.value and not wanted:
        wanted = record.certification.requirements_of(Phase.initial.value)
    courses: list[Course] = []
    for requirement in wanted:
        if requirement.kind == RequirementKind.course.value:
            course = db.session.get(Course, requirement.item_id)
            if course is not None:
                courses.append(course)
        elif requirement.kind == RequirementKind.path.value:
            path = db.session.get(LearningPath, requirement.item_id)
            if path is None:
                continue
            if phase == Phase.renewal.value:
                courses.extend(step.course for step in path.steps)
            else:
                try:
                    enrolling.enrol_in_path(user, path, due_on=due_on, source="rule")
                except ValidationError:
                    continue  # not published or the person is deactivated: nothing to enrol in
    enrolled = 0
    for course in courses:
        current = enrolling.current_enrollment(user.id, course.id)
        if current is not None and phase == Phase.renewal.value and current.completed_at is not None:
            enrolling.withdraw(current)  # done for the last cycle; kept on record, a new one starts
            current = None
        if current is not None:
            if due_on is not None and (current.due_on is None or current.due_on > due_on):
                current.due_on = due_on
            continue
        try:
            enrolling.enrol(user, course, due_on=due_on, source="rule")
            enrolled += 1
        except ValidationError:
            continue
    return enrolled


# ---------------------------------------------------------------- awarding and renewing


def _award(
    record: CertificationRecord,
    *,
    at: datetime,
    expires_at: datetime | None = None,
    evidence: dict[str, Any],
    by: User | None = None,
    reason: str | None = None,
) -> None:
    cert = record.certification
    record.cycle += 1
    record.awarded_at = at
    record.expires_at = expires_at if expires_at is not None else expiry_from(cert, at)
    record.grace_until = grace_end(cert, record.expires_at)
    record.renewal_opened_at = None
    record.revoked_reason = record.state_before_revocation = None
    record.evidence = evidence
    _move(record, RecordState.certified.value, at=at, by=by, reason=reason)
    events.emit("certification.awarded", event_payload(record))


def _renew(record: CertificationRecord, *, at: datetime) -> None:
    cert = record.certification
    old_expiry = record.expires_at
    assert old_expiry is not None
    record.cycle += 1
    record.awarded_at = at
    # From the old expiry, never from today: renewing early is never punished.
    record.expires_at = (
        expiry_from(cert, old_expiry) if cert.validity == Validity.months.value else old_expiry
    )
    record.grace_until = grace_end(cert, record.expires_at)
    record.renewal_opened_at = None
    record.evidence = {"how": "renewal"}
    _move(record, RecordState.certified.value, at=at, action="certification.renewed")
    events.emit("certification.renewed", event_payload(record))


def evaluate(record: CertificationRecord, *, now: datetime | None = None) -> str | None:
    """Move *record* as far as its requirements and the clock allow; the action taken, or None."""
    now = now or utcnow()
    record = locked(record)
    cert = record.certification
    if record.state == RecordState.revoked.value:
        return None
    moved = advance_by_time(record, now=now)
    if cert.status != CertificationStatus.published.value and record.state not in HOLDING:
        return moved
    if record.state in (RecordState.not_started.value, RecordState.in_progress.value):
        if done.all_met(cert.requirements_of(Phase.initial.value), record.user_id):
            _award(record, at=now, evidence={"how": "requirements"})
            return "certification.awarded"
    elif record.state == RecordState.expired.value:
        # Certified again after it lapsed: the first requirements, done again since the window opened.
        since = record.renewal_opened_at or record.expires_at
        if done.all_met(cert.requirements_of(Phase.initial.value), record.user_id, since):
            _award(record, at=now, evidence={"how": "requirements"})
            return "certification.awarded"
    elif record.state == RecordState.expiring.value and cert.validity == Validity.months.value:
        renewal = cert.requirements_of(Phase.renewal.value) or cert.requirements_of(Phase.initial.value)
        if done.all_met(renewal, record.user_id, record.renewal_opened_at):
            _renew(record, at=now)
            return "certification.renewed"
    return moved


def advance_by_time(record: CertificationRecord, *, now: datetime) -> str | None:
    """Enter the renewal window, or expire after the grace period, when the clock says so (record locked)."""
    cert = record.certification
    if record.state not in HOLDING or record.expires_at is None:
        return None
    grace_until = record.grace_until or record.expires_at
    if now >= grace_until:
        _move(record, RecordState.expired.value, at=now)
        events.emit("certification.expired", event_payload(record))
        return "certification.expired"
    if record.state == RecordState.certified.value and now >= window_opens(cert, record.expires_at):
        record.renewal_opened_at = window_opens(cert, record.expires_at)
        _move(record, RecordState.expiring.value, at=now)
        events.emit("certification.expiring", event_payload(record))
        user = db.session.get(User, record.user_id)
        if user is not None and cert.validity == Validity.months.value:
            enrol_in_requirements(record, user, Phase.renewal.value, due_on=record.expires_at.date())
        return "certification.expiring"
    return None


# ---------------------------------------------------------------- what an admin does


def award_manually(
    record: CertificationRecord,
    *,
    by: User | None,
    note: str,
    awarded_at: datetime | None = None,
    expires_at: datetime | None = None,
    evidence: dict[str, Any] | None = None,
    how: str = "manual",
    now: datetime | None = None,
) -> CertificationRecord:
    """Award *record*'s certification by hand (an external certificate, a past award); a new cycle."""
    now = now or utcnow()
    record = locked(record)
    awarded_at = awarded_at or now
    if awarded_at > now:
        raise ValidationError(_("The award date cannot be in the future."), field="awarded_at")
    if expires_at is not None and expires_at <= awarded_at:
        raise ValidationError(_("The expiry must come after the award."), field="expires_at")
    if record.state == RecordState.revoked.value:
        raise ValidationError(_("This award is revoked: reinstate it, or leave it revoked."))
    _award(
        record,
        at=awarded_at,
        expires_at=expires_at,
        evidence={"how": how, "note": note.strip(), **(evidence or {})},
        by=by,
        reason=note.strip() or None,
    )
    advance_by_time(record, now=now)  # a past award may already be expiring or expired
    return record


def revoke(record: CertificationRecord, reason: str, *, by: User | None, now: datetime | None = None) -> None:
    """Take an award back, saying why (the verify page shows the reason)."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(_("Say why the award is revoked."), field="reason")
    record = locked(record)
    if record.state == RecordState.revoked.value:
        return
    if record.cycle == 0:
        raise ValidationError(_("Only an award can be revoked; this person has not been awarded it."))
    record.state_before_revocation = record.state
    record.revoked_reason = reason
    _move(record, RecordState.revoked.value, at=now or utcnow(), by=by, reason=reason)
    events.emit("certification.revoked", event_payload(record, reason))


def reinstate(
    record: CertificationRecord, *, by: User | None, note: str = "", now: datetime | None = None
) -> None:
    """Give a revoked award back as it stood; the clock then moves it on if it expired meanwhile."""
    now = now or utcnow()
    record = locked(record)
    if record.state != RecordState.revoked.value:
        return
    back_to = record.state_before_revocation or RecordState.certified.value
    record.revoked_reason = record.state_before_revocation = None
    _move(record, back_to, at=now, by=by, reason=note.strip() or None, action="certification.reinstated")
    events.emit("certification.reinstated", event_payload(record))
    advance_by_time(record, now=now)
