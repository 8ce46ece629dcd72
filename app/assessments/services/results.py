"""Results for authors: per-question statistics and a quiz's summary."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import case, func, select

from app.assessments import grading
from app.assessments.models import (
    Attempt,
    AttemptItem,
    AttemptStatus,
    QuestionRevision,
    Quiz,
)
from app.extensions import db


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
