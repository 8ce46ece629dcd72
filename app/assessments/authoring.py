"""Read what authors need to build banks and quizzes, each page in a constant number of queries."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from app.assessments import services
from app.assessments.models import (
    Attempt,
    AttemptItem,
    AttemptStatus,
    Question,
    QuestionBank,
    QuestionRevision,
    Quiz,
)
from app.extensions import db


@dataclass
class QuizRow:
    """A quiz on the author's list with its size and how learners did."""

    quiz: Quiz
    question_count: int
    attempts: int
    learners: int
    passed_learners: int

    @property
    def pass_rate(self) -> float | None:
        """Share of learners who passed at least once, in percent."""
        return round(100 * self.passed_learners / self.learners, 1) if self.learners else None


def quiz_rows() -> list[QuizRow]:
    """Every quiz with its questions per attempt, attempts, learners and learners who passed."""
    quizzes = list(db.session.scalars(select(Quiz).options(*services.quiz_loading()).order_by(Quiz.title)))
    submitted = Attempt.status == AttemptStatus.submitted.value
    totals = {
        quiz_id: (attempts, learners)
        for quiz_id, attempts, learners in db.session.execute(
            select(Attempt.quiz_id, func.count(Attempt.id), func.count(func.distinct(Attempt.user_id)))
            .where(submitted)
            .group_by(Attempt.quiz_id)
        )
    }
    passed = dict(
        db.session.execute(
            select(Attempt.quiz_id, func.count(func.distinct(Attempt.user_id)))
            .where(submitted, Attempt.passed.is_(True))
            .group_by(Attempt.quiz_id)
        ).all()
    )
    return [
        QuizRow(
            quiz=quiz,
            question_count=services.question_count(quiz),
            attempts=totals.get(quiz.id, (0, 0))[0],
            learners=totals.get(quiz.id, (0, 0))[1],
            passed_learners=passed.get(quiz.id, 0),
        )
        for quiz in quizzes
    ]


def bank_questions(bank: QuestionBank) -> list[Question]:
    """The questions of *bank* in order, with their revisions loaded."""
    return list(
        db.session.scalars(
            select(Question)
            .where(Question.bank_id == bank.id)
            .options(selectinload(Question.revisions))
            .order_by(Question.position, Question.id)
        )
    )


def questions_to_pick() -> list[tuple[QuestionBank, list[Question]]]:
    """Banks with their active questions, for choosing a fixed question."""
    banks = db.session.scalars(
        select(QuestionBank)
        .options(selectinload(QuestionBank.questions).selectinload(Question.revisions))
        .order_by(QuestionBank.title)
    ).all()
    return [(bank, bank.active_questions) for bank in banks if bank.active_questions]


def revision_use(question: Question) -> dict[int, int]:
    """How many attempts showed each revision of *question*."""
    return dict(
        db.session.execute(
            select(AttemptItem.revision_id, func.count(AttemptItem.id))
            .join(QuestionRevision, QuestionRevision.id == AttemptItem.revision_id)
            .where(QuestionRevision.question_id == question.id)
            .group_by(AttemptItem.revision_id)
        ).all()
    )
