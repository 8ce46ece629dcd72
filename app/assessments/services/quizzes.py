"""Quizzes: settings, fixed questions and pools drawn from banks; load a quiz with its parts."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app import audit
from app.assessments.models import (
    Question,
    QuestionBank,
    Quiz,
    QuizLayout,
    QuizSection,
    ShowAnswers,
)
from app.errors import ValidationError
from app.extensions import db
from app.inputs import whole_number


def _refuse_library_quiz(quiz: Quiz) -> None:
    if quiz.library_version_id is not None:
        raise ValidationError(_("This quiz comes from the content library and cannot be changed here."))


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
