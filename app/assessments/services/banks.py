"""Question banks and their questions: write, revise, retire; library banks stay read-only."""

from __future__ import annotations

import re
import secrets
from decimal import Decimal
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, select

from app import audit
from app.assessments import grading
from app.assessments.models import (
    Question,
    QuestionBank,
    QuestionRevision,
    QuestionType,
)
from app.errors import ValidationError
from app.extensions import db
from app.text import render_markdown


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
