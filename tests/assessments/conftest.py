"""Factories: a quiz with one question of every type, in a course whose later lessons it gates."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from app.assessments import grading
from app.assessments import services as assessments
from app.learning.services import courses as authoring
from app.tenancy import as_tenant

# One question of each type, with the right answer as a form would post it (position filled in later).
QUESTIONS: list[dict[str, Any]] = [
    {
        "type": "single",
        "prompt": "Which temperature keeps hot food safe?",
        "options": [
            {"text": "63 °C or above", "correct": True, "feedback": "Right: 63 °C is the legal minimum."},
            {"text": "40 °C", "correct": False, "feedback": "Too cool: bacteria grow between 8 and 63 °C."},
            {"text": "20 °C", "correct": False},
        ],
    },
    {
        "type": "multiple",
        "prompt": "Which of these are allergens you must declare?",
        "options": [
            {"text": "Peanuts", "correct": True},
            {"text": "Celery", "correct": True},
            {"text": "Salt", "correct": False},
        ],
    },
    {"type": "true_false", "prompt": "Raw chicken may be washed in the sink.", "answer": "false"},
    {
        "type": "short_answer",
        "prompt": "What do you do first when you arrive for your shift?",
        "accepted": ["wash my hands", "wash hands"],
        "pattern": r"wash(ing)? (your |my )?hands.*",
    },
    {
        "type": "numeric",
        "prompt": "The fridge should be at most how many °C?",
        "answer": "5",
        "tolerance": "0.5",
    },
    {
        "type": "ordering",
        "prompt": "Put the hand-washing steps in order.",
        "items": "Wet hands\nApply soap\nScrub for 20 seconds\nRinse\nDry with a clean towel",
    },
    {
        "type": "matching",
        "prompt": "Match each board colour to its food.",
        "pairs": [
            {"left": "Red", "right": "Raw meat"},
            {"left": "Blue", "right": "Raw fish"},
            {"left": "Green", "right": "Salad and fruit"},
        ],
    },
]


def right_answers(attempt: Any) -> dict[str, list[str]]:
    """The form fields that answer every question of *attempt* correctly."""
    form: dict[str, list[str]] = {}
    for item in attempt.items:
        data, name = item.revision.data, f"answer-{item.position}"
        kind = item.revision.type
        if kind in ("single", "true_false") or kind == "multiple":
            form[name] = [o["id"] for o in data["options"] if o["correct"]]
        elif kind == "short_answer":
            form[name] = ["  Wash   HANDS "]
        elif kind == "numeric":
            form[name] = ["5,2"]
        elif kind == "ordering":
            for rank, entry in enumerate(data["items"], start=1):
                form[f"{name}-{entry['id']}"] = [str(rank)]
        elif kind == "matching":
            _rights, lefts = grading.matching_orders(item.revision, item.display_order)
            for index, left_id in enumerate(lefts):
                form[f"{name}-m{index}"] = [left_id]
    return form


def add_unchecked_revision(db: Any, question: Any, **data: Any) -> Any:
    """Revise *question* with *data* written as is, as a version of Atrium without today's checks saved it.

    Revisions are never updated (on PostgreSQL the application role may not), so old data is a new one.
    """
    from app.assessments.models import QuestionRevision

    current = question.current
    revision = QuestionRevision(
        number=current.number + 1,
        type=current.type,
        prompt=current.prompt,
        points=current.points,
        data={**current.data, **data},
    )
    question.revisions.append(revision)
    db.session.flush()
    return revision


def wrong_answers(attempt: Any) -> dict[str, list[str]]:
    form: dict[str, list[str]] = {}
    for item in attempt.items:
        data, name = item.revision.data, f"answer-{item.position}"
        if item.revision.type in ("single", "true_false", "multiple"):
            form[name] = [next(o["id"] for o in data["options"] if not o["correct"])]
        elif item.revision.type == "short_answer":
            form[name] = ["no idea"]
        elif item.revision.type == "numeric":
            form[name] = ["12"]
    return form


@pytest.fixture
def quiz_factory(db: Any) -> Callable[..., Any]:
    def make(
        tenant: Any, title: str = "Food Safety quiz", questions: list[dict] | None = None, **settings: Any
    ):
        with as_tenant(tenant):
            bank = assessments.create_bank(f"{title} bank")
            added = [assessments.add_question(bank, q) for q in (questions or QUESTIONS)]
            quiz = assessments.create_quiz({"title": title, "pass_percent": 80, **settings})
            for question in added:
                assessments.add_fixed_question(quiz, question)
            db.session.commit()
        return quiz

    return make


@pytest.fixture
def gated_course(db: Any, quiz_factory: Callable[..., Any]) -> Callable[..., Any]:
    """A published course: a page, the quiz, a practical checkpoint, then a closing page."""

    def make(tenant: Any, **quiz_settings: Any) -> dict[str, Any]:
        quiz = quiz_factory(tenant, **quiz_settings)
        with as_tenant(tenant):
            course = authoring.create_course(
                {"title": "Food Safety Basics", "self_enroll": True, "listed": True}
            )
            intro = authoring.add_lesson(course, "page", "Why it matters", True, {"body": "Wash hands."}, {})
            test = authoring.add_lesson(
                course, "assessment", "Food Safety quiz", True, {"quiz_id": str(quiz.id)}, {}
            )
            checkpoint = authoring.add_lesson(
                course,
                "checkpoint",
                "Fryer safety",
                True,
                {"instructions": "At the fryer.", "items": "Shuts the fryer down\nFilters the oil safely"},
                {},
            )
            closing = authoring.add_lesson(course, "page", "Well done", True, {"body": "Done."}, {})
            authoring.set_course_status(course, "published")
            db.session.commit()
            ids = {
                "quiz": quiz.id,
                "course": course.id,
                "intro": intro.id,
                "test": test.id,
                "checkpoint": checkpoint.id,
                "closing": closing.id,
            }
        return ids

    return make
