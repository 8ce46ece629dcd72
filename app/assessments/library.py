"""Quizzes in library packages: frozen into the published version, rebuilt as a tenant's own bank and quiz."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from app.assessments.models import Question, QuestionBank, QuestionRevision, Quiz, QuizSection
from app.assessments.services import QUIZ_SETTINGS
from app.extensions import db
from app.text import render_markdown


def _question_snapshot(question: Question) -> dict[str, Any]:
    revision = question.current
    return {
        "type": revision.type,
        "prompt": revision.prompt,
        "points": revision.points,
        "data": revision.data,
    }


def snapshot_quiz(quiz: Quiz) -> dict[str, Any]:
    """Everything a tenant needs to rebuild *quiz*: its settings and the current wording of its questions."""
    sections: list[dict[str, Any]] = []
    for section in quiz.sections:
        if section.question is not None and section.question.active:
            sections.append({"question": _question_snapshot(section.question)})
        elif section.bank is not None:
            sections.append(
                {
                    "pool": [_question_snapshot(q) for q in section.bank.active_questions],
                    "count": section.draw_count,
                }
            )
    settings = {key: getattr(quiz, key) for key in QUIZ_SETTINGS}
    return {"settings": settings, "sections": sections}


def _add_question(bank: QuestionBank, snapshot: dict[str, Any]) -> Question:
    question = Question(bank=bank, position=len(bank.questions))
    question.revisions.append(
        QuestionRevision(
            number=1,
            type=snapshot["type"],
            prompt=snapshot["prompt"],
            prompt_html=render_markdown(snapshot["prompt"]),
            points=snapshot["points"],
            data=snapshot["data"],
        )
    )
    db.session.add(question)
    return question


def materialise_quiz(snapshot: dict[str, Any], title: str, library_version_id: int | None = None) -> Quiz:
    """Build the tenant's read-only copy of a library quiz (once per title: a version's lesson)."""
    title = title[:200]
    existing = db.session.scalars(select(Quiz).where(Quiz.title == title)).first()
    if existing is not None:
        return existing
    bank = QuestionBank(
        title=title, description="From the content library.", library_version_id=library_version_id
    )
    db.session.add(bank)
    quiz = Quiz(**{**snapshot["settings"], "title": title, "library_version_id": library_version_id})
    db.session.add(quiz)
    for position, part in enumerate(snapshot["sections"]):
        if "question" in part:
            quiz.sections.append(
                QuizSection(position=position, question=_add_question(bank, part["question"]))
            )
        else:
            pool = QuestionBank(
                title=f"{title} · {position + 1}"[:200], description="From the content library."
            )
            db.session.add(pool)
            for question in part["pool"]:
                _add_question(pool, question)
            quiz.sections.append(QuizSection(position=position, bank=pool, draw_count=part["count"]))
    db.session.flush()
    return quiz
