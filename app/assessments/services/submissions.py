"""Save answers, submit and grade attempts, and close those whose time ran out."""

from __future__ import annotations

import logging
import re
from datetime import datetime, timedelta
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select, update
from sqlalchemy.orm import selectinload

from app import audit, events
from app.assessments import grading
from app.assessments.models import (
    Attempt,
    AttemptItem,
    AttemptStatus,
)
from app.errors import ValidationError
from app.extensions import db
from app.tenancy.models import utcnow

log = logging.getLogger(__name__)


# Answers a browser sends a moment after the deadline (network latency) still count.
DEADLINE_GRACE = timedelta(seconds=2)


def lock_attempt(attempt: Attempt) -> Attempt:
    """Wait for any other request changing *attempt*, then read its state afresh.

    On PostgreSQL the row stays locked until this transaction ends, so a double click, a retry or
    ten parallel submits change the attempt one after the other, each seeing what the one before did.
    """
    db.session.scalars(
        select(Attempt)
        .where(Attempt.id == attempt.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()
    return attempt


def time_is_up(attempt: Attempt, now: datetime) -> bool:
    deadline = attempt.deadline_at
    return deadline is not None and now > deadline + DEADLINE_GRACE


def item_at(attempt: Attempt, position: int) -> AttemptItem:
    item = next((i for i in attempt.items if i.position == position), None)
    if item is None:
        raise ValidationError(_("That question is not part of this attempt."))
    return item


def _check_open(attempt: Attempt, now: datetime) -> None:
    if attempt.status != AttemptStatus.in_progress.value:
        raise ValidationError(_("This attempt has been submitted; answers can no longer change."))
    if time_is_up(attempt, now):
        raise ValidationError(_("Time is up: answers given after the time limit are not saved."))


def save_answer(
    attempt: Attempt, position: int, form: dict[str, list[str]], now: datetime | None = None
) -> AttemptItem:
    """Save the learner's answer to one question as they go (it counts only if saved in time)."""
    now = now or utcnow()
    lock_attempt(attempt)
    _check_open(attempt, now)
    item = item_at(attempt, position)
    item.answer = grading.parse_answer(item.revision, item.display_order, position, form)
    item.answered_at = now
    return item


def positions_in(form: dict[str, list[str]]) -> set[int]:
    """The question positions a posted form carries answers for."""
    found = set()
    for name in form:
        match = re.fullmatch(r"answer-(\d+)(?:-[0-9a-z]+)?", name)
        if match:
            found.add(int(match.group(1)))
    return found


def _parse_answers(attempt: Attempt, form: dict[str, list[str]]) -> dict[int, Any]:
    """The answers a posted page carries, by position; refuse the lot if any names a question not asked."""
    positions = positions_in(form)
    known = {item.position for item in attempt.items}
    if positions - known:
        raise ValidationError(_("That question is not part of this attempt."))
    parsed = {}
    for position in sorted(positions):
        item = item_at(attempt, position)
        parsed[position] = grading.parse_answer(item.revision, item.display_order, position, form)
    return parsed


def _store_answers(attempt: Attempt, parsed: dict[int, Any], now: datetime) -> None:
    for position, answer in parsed.items():
        item = item_at(attempt, position)
        item.answer, item.answered_at = answer, now


def save_answers(attempt: Attempt, form: dict[str, list[str]], now: datetime | None = None) -> None:
    """Save every answer on a posted page; refuse the lot if any names a question not in the attempt."""
    now = now or utcnow()
    lock_attempt(attempt)
    _check_open(attempt, now)
    _store_answers(attempt, _parse_answers(attempt, form), now)


def save_before_submit(
    attempt: Attempt, form: dict[str, list[str]], now: datetime | None = None
) -> list[int]:
    """Return the questions a submit would leave unanswered, to confirm first (saving what was posted).

    Nothing is left to confirm once the attempt is closed or its time is up: it is submitted as it is.
    With every question answered nothing is written here: submit_attempt saves the answers once it
    has claimed the attempt, so a submit that loses a race never changes a submitted attempt.
    """
    now = now or utcnow()
    lock_attempt(attempt)
    if attempt.status != AttemptStatus.in_progress.value or time_is_up(attempt, now):
        return []
    parsed = _parse_answers(attempt, form)
    unanswered = [
        item.position
        for item in sorted(attempt.items, key=lambda i: i.position)
        if not grading.is_answered(
            item.revision,
            item.display_order,
            parsed.get(item.position, item.answer),
        )
    ]
    if unanswered:
        _store_answers(attempt, parsed, now)
    return unanswered


def submit_attempt(
    attempt: Attempt, form: dict[str, list[str]] | None = None, now: datetime | None = None
) -> Attempt:
    """Grade and close the attempt, once however many times it is sent; past the time limit,
    only answers saved in time count."""
    now = now or utcnow()
    lock_attempt(attempt)
    if attempt.status == AttemptStatus.submitted.value:
        return attempt  # a repeated submit (double click, retry) changes nothing
    late = time_is_up(attempt, now)
    if late:  # answers sent after the time limit do not count, whatever they are
        if positions_in(form or {}) - {item.position for item in attempt.items}:
            raise ValidationError(_("That question is not part of this attempt."))
        parsed = {}
    else:
        parsed = _parse_answers(attempt, form or {})
    if _claim(attempt):
        _store_answers(attempt, parsed, now)
        _finalize(attempt, now, "time_expired" if late else "submitted")
    return attempt


def finalize_if_expired(attempt: Attempt, now: datetime | None = None) -> bool:
    """Close an attempt whose time ran out with the answers saved in time; True when it did."""
    now = now or utcnow()
    if attempt.status != AttemptStatus.in_progress.value or not time_is_up(attempt, now):
        return False
    lock_attempt(attempt)
    if not _claim(attempt):
        return False
    _finalize(attempt, now, "time_expired")
    return True


def _claim(attempt: Attempt) -> bool:
    """Move *attempt* out of "in progress" for this request only; False if another request did first.

    A conditional update: whatever the database's locking (SQLite has no row locks), only one
    request can win it, so an attempt is graded, audited and announced exactly once.
    """
    claimed = db.session.execute(
        update(Attempt)
        .where(Attempt.id == attempt.id, Attempt.status == AttemptStatus.in_progress.value)
        .values(status=AttemptStatus.submitted.value)
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount == 1:  # type: ignore[attr-defined]
        return True
    db.session.refresh(attempt)
    return False


def _finalize(attempt: Attempt, now: datetime, ended_by: str) -> None:
    """Grade the claimed *attempt* on the answers saved in time, record it and announce the result."""
    deadline = attempt.deadline_at
    total = earned = 0.0
    for item in attempt.items:
        in_time = item.answered_at is not None and (
            deadline is None or item.answered_at <= deadline + DEADLINE_GRACE
        )
        item.credit = grading.grade(item.revision, item.answer) if in_time else 0.0
        item.points = round(item.credit * item.max_points, 4)
        total += item.max_points
        earned += item.points
    attempt.status = AttemptStatus.submitted.value
    attempt.submitted_at = (
        min(now, deadline + DEADLINE_GRACE) if ended_by == "time_expired" and deadline else now
    )
    attempt.ended_by = ended_by
    attempt.score_points = round(earned, 4)
    attempt.max_points = total
    attempt.score_percent = round(100 * earned / total, 1) if total else 0.0
    attempt.passed = attempt.score_percent >= attempt.pass_percent
    db.session.flush()
    payload = {
        "attempt_id": attempt.id,
        "quiz_id": attempt.quiz_id,
        "user_id": attempt.user_id,
        "number": attempt.number,
        "score_percent": attempt.score_percent,
        "pass_percent": attempt.pass_percent,
        "passed": attempt.passed,
        "ended_by": ended_by,
        "enrollment_id": attempt.enrollment_id,
        "lesson_id": attempt.lesson_id,
    }
    audit.record("assessment.submitted", target=attempt, after=payload)
    events.emit("assessment.submitted", payload)
    events.emit("assessment.passed" if attempt.passed else "assessment.failed", payload)


def close_expired_attempts(now: datetime | None = None, failed: list[int] | None = None) -> int:
    """Submit this tenant's attempts whose time ran out, with the answers saved in time; return how many.

    Learners who close the browser mid-attempt are graded on time, so reports and events do not wait
    for them to come back. Each attempt closes in a savepoint of its own: one that fails is logged
    (and its id added to *failed*) and the others still close.
    """
    now = now or utcnow()
    expired = db.session.scalars(
        select(Attempt)
        .where(
            Attempt.status == AttemptStatus.in_progress.value,
            Attempt.deadline_at.is_not(None),
            Attempt.deadline_at < now - DEADLINE_GRACE,
        )
        .options(selectinload(Attempt.items).selectinload(AttemptItem.revision), selectinload(Attempt.quiz))
        # Lock them all before grading any (grading takes the audit chain's lock), and leave out
        # those a learner is submitting right now: their own request closes them.
        .with_for_update(skip_locked=True, of=Attempt)
    ).all()
    closed = 0
    for attempt in expired:
        attempt_id, tenant_id = attempt.id, attempt.tenant_id
        try:
            with db.session.begin_nested():
                closed += finalize_if_expired(attempt, now)
        except Exception:  # one attempt's failure must not keep the others open
            log.exception("could not close expired attempt %s of tenant %s", attempt_id, tenant_id)
            if failed is not None:
                failed.append(attempt_id)
    return closed
