"""Attempts: where a learner stands with a quiz, start one, and what the review may show."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from app import audit
from app.accounts.models import User
from app.assessments.models import (
    Attempt,
    AttemptItem,
    AttemptStatus,
    Question,
    QuestionRevision,
    QuestionType,
    Quiz,
    ShowAnswers,
)
from app.assessments.services.quizzes import question_count
from app.assessments.services.submissions import finalize_if_expired, time_is_up
from app.errors import ValidationError
from app.extensions import db
from app.tenancy.models import insert_unless_exists, utcnow


@dataclass
class QuizState:
    """Where a learner stands with a quiz: attempts so far and whether they may start another."""

    quiz: Quiz
    attempts: list[Attempt]
    open_attempt: Attempt | None
    passed: bool
    can_start: bool
    reason: str | None
    next_start_at: datetime | None
    best_percent: float | None = None
    remaining: int | None = None
    submitted: list[Attempt] = field(default_factory=list)
    #: An attempt whose time ran out that nobody has closed yet: a POST (or the sweep) grades it.
    expired_attempt: Attempt | None = None


def attempts_of(user: User, quiz: Quiz) -> list[Attempt]:
    return list(
        db.session.scalars(
            select(Attempt)
            .where(Attempt.user_id == user.id, Attempt.quiz_id == quiz.id)
            .order_by(Attempt.number)
        )
    )


def quiz_state(user: User, quiz: Quiz, now: datetime | None = None) -> QuizState:
    """Say whether *user* may start another attempt and why not; writes nothing.

    An attempt whose time ran out is not graded here (a page view never writes): it is reported as
    ``expired_attempt``, and closing it is left to a POST (:func:`close_expired_attempts_of`) or the sweep.
    """
    now = now or utcnow()
    attempts = attempts_of(user, quiz)
    submitted = [a for a in attempts if a.status == AttemptStatus.submitted.value]
    in_progress = [a for a in attempts if a.status == AttemptStatus.in_progress.value]
    expired = next((a for a in in_progress if time_is_up(a, now)), None)
    open_attempt = next((a for a in in_progress if not time_is_up(a, now)), None)
    passed = any(a.passed for a in submitted)
    best = max((a.score_percent or 0 for a in submitted), default=None)
    remaining = None if quiz.max_attempts is None else max(quiz.max_attempts - len(attempts), 0)
    reason: str | None = None
    next_start: datetime | None = None
    if open_attempt is not None or expired is not None:
        reason = None
    elif passed:
        reason = _("You have passed this assessment.")
    elif remaining == 0:
        reason = _("You have used all %(n)d attempts.", n=quiz.max_attempts or 0)
    elif quiz.wait_minutes and submitted:
        last_end = submitted[-1].submitted_at
        assert last_end is not None
        next_start = last_end + timedelta(minutes=quiz.wait_minutes)
        if now < next_start:
            reason = _("You can try again after the wait between attempts.")
        else:
            next_start = None
    elif question_count(quiz) == 0:
        reason = _("This assessment has no questions yet.")
    return QuizState(
        quiz=quiz,
        attempts=attempts,
        open_attempt=open_attempt,
        passed=passed,
        can_start=open_attempt is None and expired is None and reason is None,
        reason=reason,
        next_start_at=next_start,
        best_percent=best,
        remaining=remaining,
        submitted=submitted,
        expired_attempt=expired,
    )


def close_expired_attempts_of(user: User, quiz: Quiz, now: datetime | None = None) -> int:
    """Grade *user*'s attempts at *quiz* whose time ran out (answers saved in time count); return how many."""
    now = now or utcnow()
    return sum(finalize_if_expired(attempt, now) for attempt in attempts_of(user, quiz))


def _draw(quiz: Quiz, rng: random.Random) -> list[Question]:
    chosen: list[Question] = []
    seen: set[int] = set()
    for section in quiz.sections:
        if section.question_id is not None:
            if section.question is not None and section.question.active and section.question.id not in seen:
                chosen.append(section.question)
                seen.add(section.question.id)
        elif section.bank is not None:
            pool = [q for q in section.bank.active_questions if q.id not in seen]
            picked = rng.sample(pool, min(section.draw_count or 0, len(pool)))
            chosen += picked
            seen |= {q.id for q in picked}
    if quiz.shuffle_questions:
        rng.shuffle(chosen)
    return chosen


def shown_order(revision: QuestionRevision, quiz: Quiz, rng: random.Random) -> list[str]:
    """The order one attempt shows the options, steps or pairs of *revision* in (see display_order)."""
    data = revision.data or {}
    if revision.type == QuestionType.true_false.value:
        return ["true", "false"]
    if revision.type in (QuestionType.single.value, QuestionType.multiple.value):
        ids = [o["id"] for o in data.get("options", [])]
        if quiz.shuffle_options:
            rng.shuffle(ids)
        return ids
    if revision.type == QuestionType.ordering.value:
        # Always shuffled: the order is the answer.
        return _shuffled_away_from([item["id"] for item in data.get("items", [])], rng)
    if revision.type == QuestionType.matching.value:
        # Both columns shuffled; the right-hand column never lines up with the left-hand one, nor
        # with it upside down. Stored as the right-hand order, then the left-hand order.
        lefts = [pair["id"] for pair in data.get("pairs", [])]
        rng.shuffle(lefts)
        return _shuffled_away_from(lefts, rng) + lefts
    return []


def _shuffled_away_from(answer: list[str], rng: random.Random) -> list[str]:
    """A uniformly random order of *answer* that is neither *answer* nor its reverse.

    With two items every order is one of those, so each of the two is shown half the time:
    showing always the other one would give the answer away.
    """
    shown = answer[:]
    while True:
        rng.shuffle(shown)
        if len(answer) < 3 or shown not in (answer, answer[::-1]):
            return shown


def start_attempt(
    user: User,
    quiz: Quiz,
    *,
    enrollment_id: int | None = None,
    lesson_id: int | None = None,
    now: datetime | None = None,
    rng: random.Random | None = None,
) -> Attempt:
    """Start an attempt, or return the one already open (a dropped connection resumes it)."""
    now = now or utcnow()
    close_expired_attempts_of(user, quiz, now)
    state = quiz_state(user, quiz, now)
    if state.open_attempt is not None:
        return state.open_attempt
    if not state.can_start:
        raise ValidationError(state.reason or _("You cannot start this assessment now."))
    rng = rng or random.SystemRandom()
    questions = _draw(quiz, rng)
    number = len(state.attempts) + 1
    attempt_id = insert_unless_exists(
        Attempt,
        quiz_id=quiz.id,
        user_id=user.id,
        enrollment_id=enrollment_id,
        lesson_id=lesson_id,
        number=number,
        status=AttemptStatus.in_progress.value,
        started_at=now,
        deadline_at=now + timedelta(minutes=quiz.time_limit_minutes) if quiz.time_limit_minutes else None,
        pass_percent=quiz.pass_percent,
    )
    if attempt_id is None:
        # Another request (a double click, a second tab) started this attempt at the same moment:
        # the attempt number is unique per learner and quiz, so theirs is the one to resume.
        return db.session.scalars(
            select(Attempt).where(
                Attempt.user_id == user.id, Attempt.quiz_id == quiz.id, Attempt.number == number
            )
        ).one()
    attempt = db.session.get(Attempt, attempt_id)
    assert attempt is not None  # just inserted in this transaction
    for position, question in enumerate(questions, start=1):
        revision = question.current
        attempt.items.append(
            AttemptItem(
                position=position,
                question_id=question.id,
                revision_id=revision.id,
                revision=revision,
                display_order=shown_order(revision, quiz, rng),
                max_points=float(revision.points),
            )
        )
    db.session.flush()
    audit.record("assessment.started", target=attempt, after={"quiz": quiz.title, "number": attempt.number})
    return attempt


def may_show_answers(attempt: Attempt, state: QuizState) -> bool:
    """Whether the review page may show the correct answers, by the quiz's policy."""
    if attempt.status != AttemptStatus.submitted.value:
        return False
    policy = attempt.quiz.show_answers
    if policy == ShowAnswers.after_pass.value:
        return bool(attempt.passed)
    if policy == ShowAnswers.after_last.value:
        return state.passed or state.remaining == 0
    return False


def load_attempt(attempt_id: int) -> Attempt | None:
    """The attempt with its quiz, and its items with their revisions: one statement (every page of an
    attempt shows or checks the quiz, and each item's question), a row per item."""
    found = (
        db.session.scalars(
            select(Attempt)
            .where(Attempt.id == attempt_id)
            .options(
                joinedload(Attempt.quiz),
                joinedload(Attempt.items).joinedload(AttemptItem.revision),
            )
        )
        .unique()
        .all()
    )
    return found[0] if found else None
