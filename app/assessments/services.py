"""Author question banks and quizzes; start, save, submit and grade attempts; report results per question."""

from __future__ import annotations

import logging
import random
import re
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import case, func, select, update
from sqlalchemy.orm import selectinload

from app import audit, events
from app.accounts.models import User
from app.assessments import grading
from app.assessments.models import (
    Attempt,
    AttemptItem,
    AttemptStatus,
    Question,
    QuestionBank,
    QuestionRevision,
    QuestionType,
    QuizLayout,
    QuizSection,
    ShowAnswers,
)
from app.assessments.models import Quiz as Quiz
from app.errors import ValidationError
from app.extensions import db
from app.inputs import whole_number
from app.tenancy.models import insert_unless_exists, utcnow
from app.text import render_markdown

log = logging.getLogger(__name__)

# Answers a browser sends a moment after the deadline (network latency) still count.
DEADLINE_GRACE = timedelta(seconds=2)


# --- Question banks and questions -------------------------------------------------------------


def create_bank(title: str, description: str = "") -> QuestionBank:
    """Create a question bank with a title unique in the tenant."""
    title = (title or "").strip()
    if not title:
        raise ValidationError(_("Give the question bank a title."), field="title")
    if db.session.scalars(select(QuestionBank.id).where(QuestionBank.title == title)).first():
        raise ValidationError(
            _("A question bank called “%(name)s” already exists.", name=title), field="title"
        )
    bank = QuestionBank(title=title, description=(description or "").strip())
    db.session.add(bank)
    db.session.flush()
    audit.record("question_bank.created", target=bank, after={"title": title})
    return bank


def update_bank(bank: QuestionBank, title: str, description: str = "") -> QuestionBank:
    _refuse_library_bank(bank)
    title = (title or "").strip()
    if not title:
        raise ValidationError(_("Give the question bank a title."), field="title")
    clash = db.session.scalars(
        select(QuestionBank.id).where(QuestionBank.title == title, QuestionBank.id != bank.id)
    ).first()
    if clash:
        raise ValidationError(
            _("A question bank called “%(name)s” already exists.", name=title), field="title"
        )
    before = {"title": bank.title}
    bank.title, bank.description = title, (description or "").strip()
    audit.record("question_bank.updated", target=bank, before=before, after={"title": title})
    return bank


def _refuse_library_bank(bank: QuestionBank) -> None:
    if bank.library_version_id is not None:
        raise ValidationError(
            _("This question bank comes from the content library and cannot be changed here.")
        )


def _refuse_library_quiz(quiz: Quiz) -> None:
    if quiz.library_version_id is not None:
        raise ValidationError(_("This quiz comes from the content library and cannot be changed here."))


def _new_id() -> str:
    return secrets.token_hex(4)


def _keep_id(value: Any, seen: set[str]) -> str:
    """Keep an option's id across revisions; a missing, malformed or repeated one gets a new id.

    Ids end up in answer field names (``answer-3-<id>``), so only short hex ids are kept.
    """
    kept = str(value or "")
    if not re.fullmatch(r"[0-9a-f]{1,16}", kept) or kept in seen:
        kept = _new_id()
        while kept in seen:
            kept = _new_id()
    seen.add(kept)
    return kept


def _clean_lines(values: Any) -> list[str]:
    if isinstance(values, str):
        values = values.splitlines()
    return [" ".join(str(v).split()) for v in values or [] if str(v).strip()]


def clean_question(draft: dict[str, Any]) -> dict[str, Any]:
    """Validate a question as the author wrote it; return type, prompt, points and the answer key.

    *draft* keys: type, prompt, points, feedback_correct, feedback_incorrect and, by type,
    options [{id?, text, correct, feedback}], answer ("true"/"false" or a number),
    accepted (lines), pattern, tolerance, items (lines or [{id?, text}]), pairs [{id?, left, right}].
    """
    kind = draft.get("type") or ""
    if kind not in {t.value for t in QuestionType}:
        raise ValidationError(_("Choose a kind of question."), field="type")
    prompt = (draft.get("prompt") or "").strip()
    if not prompt:
        raise ValidationError(_("Write the question."), field="prompt")
    try:
        points = int(draft.get("points") or 1)
    except (TypeError, ValueError):
        raise ValidationError(_("Points must be a whole number from 1 to 100."), field="points") from None
    if not 1 <= points <= 100:
        raise ValidationError(_("Points must be a whole number from 1 to 100."), field="points")
    data: dict[str, Any] = {
        "feedback_correct": (draft.get("feedback_correct") or "").strip(),
        "feedback_incorrect": (draft.get("feedback_incorrect") or "").strip(),
    }
    if kind in (QuestionType.single.value, QuestionType.multiple.value):
        options = []
        seen: set[str] = set()
        for option in draft.get("options") or []:
            text = " ".join(str(option.get("text") or "").split())
            if not text:
                if option.get("correct") or str(option.get("feedback") or "").strip():
                    raise ValidationError(
                        _("Write the text of every answer you marked or gave feedback for."),
                        field="options",
                    )
                continue
            options.append(
                {
                    "id": _keep_id(option.get("id"), seen),
                    "text": text,
                    "correct": bool(option.get("correct")),
                    "feedback": (option.get("feedback") or "").strip(),
                }
            )
        if len(options) < 2:
            raise ValidationError(_("Give at least two answers to choose from."), field="options")
        right = sum(1 for o in options if o["correct"])
        if kind == QuestionType.single.value and right != 1:
            raise ValidationError(_("Mark exactly one answer as correct."), field="options")
        if kind == QuestionType.multiple.value and right < 1:
            raise ValidationError(_("Mark at least one answer as correct."), field="options")
        data["options"] = options
    elif kind == QuestionType.true_false.value:
        answer = str(draft.get("answer") or "").lower()
        if answer not in ("true", "false"):
            raise ValidationError(_("Say whether the statement is true or false."), field="answer")
        feedback = {o.get("id"): (o.get("feedback") or "").strip() for o in draft.get("options") or []}
        data["options"] = [
            {"id": "true", "text": "True", "correct": answer == "true", "feedback": feedback.get("true", "")},
            {
                "id": "false",
                "text": "False",
                "correct": answer == "false",
                "feedback": feedback.get("false", ""),
            },
        ]
    elif kind == QuestionType.short_answer.value:
        accepted = _clean_lines(draft.get("accepted"))
        pattern = (draft.get("pattern") or "").strip()
        problem = grading.pattern_problem(pattern) if pattern else None
        if problem:
            raise ValidationError(problem, field="pattern")
        if not accepted and not pattern:
            raise ValidationError(_("List at least one accepted answer, or a pattern."), field="accepted")
        data["accepted"], data["pattern"] = accepted, pattern
    elif kind == QuestionType.numeric.value:
        try:
            answer_number = grading.parse_number(str(draft.get("answer") or ""))
        except grading.NumberOutOfRange as exc:
            raise ValidationError(exc.message, field="answer") from None
        except ValidationError:
            answer_number = None
        if answer_number is None:
            raise ValidationError(_("Enter the correct answer as a number."), field="answer")
        try:
            tolerance = grading.parse_number(str(draft.get("tolerance") or "0")) or Decimal(0)
        except grading.NumberOutOfRange as exc:
            raise ValidationError(exc.message, field="tolerance") from None
        except ValidationError:
            raise ValidationError(
                _("Enter the tolerance as a number, 0 or more."), field="tolerance"
            ) from None
        if tolerance < 0:
            raise ValidationError(_("Enter the tolerance as a number, 0 or more."), field="tolerance")
        data["answer"], data["tolerance"] = str(answer_number), str(tolerance)
    elif kind == QuestionType.ordering.value:
        raw_items = draft.get("items") or []
        if isinstance(raw_items, str):
            raw_items = [{"text": line} for line in _clean_lines(raw_items)]
        item_ids: set[str] = set()
        items = [
            {"id": _keep_id(item.get("id"), item_ids), "text": " ".join(str(item.get("text") or "").split())}
            for item in raw_items
            if str(item.get("text") or "").strip()
        ]
        if len(items) < 2:
            raise ValidationError(_("List at least two steps, in the correct order."), field="items")
        data["items"] = items
    elif kind == QuestionType.matching.value:
        pairs = []
        pair_ids: set[str] = set()
        for pair in draft.get("pairs") or []:
            left_side = " ".join(str(pair.get("left") or "").split())
            right_side = " ".join(str(pair.get("right") or "").split())
            if not left_side and not right_side:
                continue
            if not left_side or not right_side:
                raise ValidationError(_("Give every pair both sides."), field="pairs")
            pairs.append({"id": _keep_id(pair.get("id"), pair_ids), "left": left_side, "right": right_side})
        if len(pairs) < 2:
            raise ValidationError(_("Give at least two pairs to match."), field="pairs")
        if len({str(p["right"]).casefold() for p in pairs}) != len(pairs):
            raise ValidationError(_("Each right-hand side must be different."), field="pairs")
        data["pairs"] = pairs
    return {"type": kind, "prompt": prompt, "points": points, "data": data}


def add_question(bank: QuestionBank, draft: dict[str, Any]) -> Question:
    """Add a question to *bank*; its first revision holds the wording and answer key."""
    _refuse_library_bank(bank)
    cleaned = clean_question(draft)
    question = Question(bank=bank, position=len(bank.questions))
    db.session.add(question)
    question.revisions.append(_revision(1, cleaned))
    db.session.flush()
    audit.record(
        "question.created",
        target=question,
        after={"bank": bank.title, "type": cleaned["type"], "revision": 1},
    )
    return question


def _revision(number: int, cleaned: dict[str, Any]) -> QuestionRevision:
    return QuestionRevision(
        number=number,
        type=cleaned["type"],
        prompt=cleaned["prompt"],
        prompt_html=render_markdown(cleaned["prompt"]),
        points=cleaned["points"],
        data=cleaned["data"],
    )


def revise_question(question: Question, draft: dict[str, Any]) -> QuestionRevision:
    """Save an edit as a new revision; attempts already recorded keep the revision they showed."""
    _refuse_library_bank(question.bank)
    cleaned = clean_question(draft)
    current = question.current
    if (current.type, current.prompt, current.points, current.data) == (
        cleaned["type"],
        cleaned["prompt"],
        cleaned["points"],
        cleaned["data"],
    ):
        return current  # nothing changed: no new revision
    revision = _revision(current.number + 1, cleaned)
    question.revisions.append(revision)
    db.session.flush()
    audit.record(
        "question.revised",
        target=question,
        before={"revision": current.number},
        after={"revision": revision.number, "type": revision.type},
    )
    return revision


def set_question_active(question: Question, active: bool) -> None:
    """Retire a question (no longer drawn) or bring it back; its history stays."""
    _refuse_library_bank(question.bank)
    if question.active == active:
        return
    question.active = active
    audit.record("question.retired" if not active else "question.restored", target=question)


# --- Quizzes ---------------------------------------------------------------------------------


QUIZ_SETTINGS = (
    "title",
    "description",
    "layout",
    "shuffle_questions",
    "shuffle_options",
    "pass_percent",
    "time_limit_minutes",
    "max_attempts",
    "wait_minutes",
    "show_answers",
)


def _optional_int(value: Any, field_name: str, low: int, high: int, message: str) -> int | None:
    if value in (None, ""):
        return None
    try:
        return whole_number(value, minimum=low, maximum=high)
    except ValueError:
        raise ValidationError(message, field=field_name) from None


def clean_quiz_settings(values: dict[str, Any]) -> dict[str, Any]:
    title = (values.get("title") or "").strip()
    if not title:
        raise ValidationError(_("Give the quiz a title."), field="title")
    layout = values.get("layout") or QuizLayout.one_page.value
    if layout not in {v.value for v in QuizLayout}:
        raise ValidationError(_("Choose how the quiz is shown."), field="layout")
    show = values.get("show_answers") or ShowAnswers.after_pass.value
    if show not in {v.value for v in ShowAnswers}:
        raise ValidationError(_("Choose when correct answers are shown."), field="show_answers")
    pass_percent = _optional_int(
        values.get("pass_percent"), "pass_percent", 0, 100, _("Enter a passing score from 0 to 100 %.")
    )
    return {
        "title": title,
        "description": (values.get("description") or "").strip(),
        "layout": layout,
        "shuffle_questions": bool(values.get("shuffle_questions")),
        "shuffle_options": bool(values.get("shuffle_options")),
        "pass_percent": 80 if pass_percent is None else pass_percent,
        "time_limit_minutes": _optional_int(
            values.get("time_limit_minutes"),
            "time_limit_minutes",
            1,
            600,
            _("Enter a time limit from 1 to 600 minutes, or leave it empty."),
        ),
        "max_attempts": _optional_int(
            values.get("max_attempts"),
            "max_attempts",
            1,
            100,
            _("Enter from 1 to 100 attempts, or leave it empty for no limit."),
        ),
        "wait_minutes": _optional_int(
            values.get("wait_minutes"),
            "wait_minutes",
            1,
            60 * 24 * 30,
            _("Enter a wait from 1 minute to 30 days (43200 minutes), or leave it empty."),
        ),
        "show_answers": show,
    }


def create_quiz(values: dict[str, Any]) -> Quiz:
    """Create a quiz with its settings; add questions and pools afterwards."""
    settings = clean_quiz_settings(values)
    if db.session.scalars(select(Quiz.id).where(Quiz.title == settings["title"])).first():
        raise ValidationError(
            _("A quiz called “%(name)s” already exists.", name=settings["title"]), field="title"
        )
    quiz = Quiz(**settings)
    db.session.add(quiz)
    db.session.flush()
    audit.record("quiz.created", target=quiz, after=settings)
    return quiz


def update_quiz(quiz: Quiz, values: dict[str, Any]) -> Quiz:
    _refuse_library_quiz(quiz)
    settings = clean_quiz_settings(values)
    clash = db.session.scalars(
        select(Quiz.id).where(Quiz.title == settings["title"], Quiz.id != quiz.id)
    ).first()
    if clash:
        raise ValidationError(
            _("A quiz called “%(name)s” already exists.", name=settings["title"]), field="title"
        )
    before = {key: getattr(quiz, key) for key in QUIZ_SETTINGS}
    for key, value in settings.items():
        setattr(quiz, key, value)
    audit.record("quiz.updated", target=quiz, before=before, after=settings)
    return quiz


def add_fixed_question(quiz: Quiz, question: Question) -> QuizSection:
    """Always ask *question* in *quiz*."""
    _refuse_library_quiz(quiz)
    if any(s.question_id == question.id for s in quiz.sections):
        raise ValidationError(_("That question is already in the quiz."), field="question_id")
    section = QuizSection(question=question, position=len(quiz.sections))
    quiz.sections.append(section)
    db.session.flush()
    audit.record("quiz.question_added", target=quiz, after={"question_id": question.id})
    return section


def add_pool(quiz: Quiz, bank: QuestionBank, count: int) -> QuizSection:
    """Draw *count* questions at random from *bank* for each attempt."""
    _refuse_library_quiz(quiz)
    available = len(bank.active_questions)
    if not 1 <= count <= max(available, 1) or available == 0:
        raise ValidationError(
            _("Draw from 1 to %(n)d questions: that is how many active questions the bank has.", n=available),
            field="draw_count",
        )
    section = QuizSection(bank=bank, draw_count=count, position=len(quiz.sections))
    quiz.sections.append(section)
    db.session.flush()
    audit.record("quiz.pool_added", target=quiz, after={"bank_id": bank.id, "count": count})
    return section


def remove_section(quiz: Quiz, section: QuizSection) -> None:
    """Take a question or pool out of the quiz; attempts already made keep what they showed."""
    _refuse_library_quiz(quiz)
    if section.quiz_id != quiz.id:
        raise ValidationError(_("That part is not in this quiz."))
    quiz.sections.remove(section)
    for position, remaining in enumerate(quiz.sections):
        remaining.position = position
    audit.record("quiz.section_removed", target=quiz, after={"section_id": section.id})


def question_count(quiz: Quiz) -> int:
    """How many questions each attempt asks."""
    total = 0
    for section in quiz.sections:
        if section.question_id is not None:
            total += 1 if section.question and section.question.active else 0
        elif section.bank is not None:
            total += min(section.draw_count or 0, len(section.bank.active_questions))
    return total


# --- Attempts --------------------------------------------------------------------------------


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


def attempts_of(user: User, quiz: Quiz) -> list[Attempt]:
    return list(
        db.session.scalars(
            select(Attempt)
            .where(Attempt.user_id == user.id, Attempt.quiz_id == quiz.id)
            .order_by(Attempt.number)
        )
    )


def quiz_state(user: User, quiz: Quiz, now: datetime | None = None) -> QuizState:
    """Finalise an attempt whose time ran out, then say whether *user* may start another and why not."""
    now = now or utcnow()
    attempts = attempts_of(user, quiz)
    for attempt in attempts:
        finalize_if_expired(attempt, now)
    submitted = [a for a in attempts if a.status == AttemptStatus.submitted.value]
    open_attempt = next((a for a in attempts if a.status == AttemptStatus.in_progress.value), None)
    passed = any(a.passed for a in submitted)
    best = max((a.score_percent or 0 for a in submitted), default=None)
    remaining = None if quiz.max_attempts is None else max(quiz.max_attempts - len(attempts), 0)
    reason: str | None = None
    next_start: datetime | None = None
    if open_attempt is not None:
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
        can_start=open_attempt is None and reason is None,
        reason=reason,
        next_start_at=next_start,
        best_percent=best,
        remaining=remaining,
        submitted=submitted,
    )


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
    if attempt.passed:
        complete_assessment_lesson(attempt)


def complete_assessment_lesson(attempt: Attempt) -> None:
    """A pass completes the assessment lesson it was taken in, which unlocks what comes after."""
    from app.learning.models import Enrollment, Lesson
    from app.learning.services.progress import complete_lesson

    if attempt.enrollment_id is None or attempt.lesson_id is None:
        return
    enrollment = db.session.get(Enrollment, attempt.enrollment_id)
    lesson = db.session.get(Lesson, attempt.lesson_id)
    if enrollment is not None and lesson is not None and enrollment.withdrawn_at is None:
        complete_lesson(enrollment, lesson)


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


# --- Results for authors -----------------------------------------------------------------------


@dataclass
class QuestionResult:
    revision: QuestionRevision
    answered: int
    right: int
    average_credit: float
    choices: dict[str, int]

    @property
    def right_percent(self) -> float:
        return round(100 * self.right / self.answered, 1) if self.answered else 0.0


def question_results(quiz: Quiz) -> list[QuestionResult]:
    """Per question revision shown in submitted attempts: how many got it right, and what they chose.

    Counts and averages are computed by the database; only answers to choice questions are read,
    to count how often each option was picked.
    """
    submitted = (
        select(Attempt.id)
        .where(Attempt.quiz_id == quiz.id, Attempt.status == AttemptStatus.submitted.value)
        .scalar_subquery()
    )
    totals = db.session.execute(
        select(
            AttemptItem.revision_id,
            func.count(AttemptItem.id),
            func.sum(case((AttemptItem.credit >= 1, 1), else_=0)),
            func.avg(func.coalesce(AttemptItem.credit, 0.0)),
        )
        .where(AttemptItem.attempt_id.in_(submitted))
        .group_by(AttemptItem.revision_id)
    ).all()
    revisions = {
        r.id: r
        for r in db.session.scalars(
            select(QuestionRevision).where(QuestionRevision.id.in_([row[0] for row in totals] or [0]))
        )
    }
    choice_ids = [rid for rid, r in revisions.items() if r.type in grading.CHOICE_TYPES]
    choices: dict[int, dict[str, int]] = {rid: {} for rid in choice_ids}
    if choice_ids:
        picks = db.session.execute(
            select(AttemptItem.revision_id, AttemptItem.answer).where(
                AttemptItem.attempt_id.in_(submitted),
                AttemptItem.revision_id.in_(choice_ids),
            )
        )
        for revision_id, answer in picks:
            if answer is None:  # a JSON null: unanswered
                continue
            for option_id in answer if isinstance(answer, list) else [answer]:
                counts = choices[revision_id]
                counts[option_id] = counts.get(option_id, 0) + 1
    results = [
        QuestionResult(
            revision=revisions[revision_id],
            answered=int(answered),
            right=int(right or 0),
            average_credit=float(average or 0.0),
            choices=choices.get(revision_id, {}),
        )
        for revision_id, answered, right, average in totals
    ]
    return sorted(results, key=lambda r: (r.right_percent, r.revision.question_id, r.revision.number))


def quiz_summary(quiz: Quiz) -> dict[str, Any]:
    """Attempts, learners, pass rate and average score of submitted attempts."""
    row = db.session.execute(
        select(
            func.count(Attempt.id),
            func.count(func.distinct(Attempt.user_id)),
            func.sum(func.cast(Attempt.passed, db.Integer)),
            func.avg(Attempt.score_percent),
        ).where(Attempt.quiz_id == quiz.id, Attempt.status == AttemptStatus.submitted.value)
    ).one()
    attempts, learners, passed, average = row
    return {
        "attempts": attempts or 0,
        "learners": learners or 0,
        "passed": int(passed or 0),
        "average": round(float(average), 1) if average is not None else None,
    }


def banks_with_counts() -> list[tuple[QuestionBank, int]]:
    banks = list(db.session.scalars(select(QuestionBank).order_by(QuestionBank.title)))
    counts = dict(
        db.session.execute(
            select(Question.bank_id, func.count(Question.id))
            .where(Question.active.is_(True))
            .group_by(Question.bank_id)
        ).all()
    )
    return [(bank, counts.get(bank.id, 0)) for bank in banks]


def quiz_loading() -> list[Any]:
    """Load options for a quiz's parts, questions, revisions and pools: a few queries in all."""
    return [
        selectinload(Quiz.sections).selectinload(QuizSection.question).selectinload(Question.revisions),
        selectinload(Quiz.sections)
        .selectinload(QuizSection.bank)
        .selectinload(QuestionBank.questions)
        .selectinload(Question.revisions),
    ]


def load_quiz(quiz_id: int) -> Quiz | None:
    """A quiz with its sections, questions and revisions loaded (see quiz_loading)."""
    return db.session.scalars(select(Quiz).where(Quiz.id == quiz_id).options(*quiz_loading())).first()


def load_attempt(attempt_id: int) -> Attempt | None:
    return db.session.scalars(
        select(Attempt)
        .where(Attempt.id == attempt_id)
        .options(selectinload(Attempt.items).selectinload(AttemptItem.revision))
    ).first()
