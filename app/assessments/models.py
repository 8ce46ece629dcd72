"""Question banks with revised questions, quizzes drawn from them, attempts, and checkpoint sign-offs."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db_types import UtcDateTime
from app.extensions import Model
from app.tenancy.models import TenantScoped, tenant_unique, utcnow


class QuestionType(enum.StrEnum):
    single = "single"
    multiple = "multiple"
    true_false = "true_false"
    short_answer = "short_answer"
    numeric = "numeric"
    ordering = "ordering"
    matching = "matching"


class ShowAnswers(enum.StrEnum):
    never = "never"
    after_pass = "after_pass"  # noqa: S105 - a setting name, not a password
    after_last = "after_last"


class QuizLayout(enum.StrEnum):
    one_page = "one_page"
    steps = "steps"


class AttemptStatus(enum.StrEnum):
    in_progress = "in_progress"
    submitted = "submitted"


class QuestionBank(TenantScoped, Model):
    """A tenant's pool of questions on one subject, drawn from by quizzes."""

    __tablename__ = "question_banks"
    __table_args__ = (tenant_unique("title"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    # Banks and quizzes copied from a library version are read-only in the tenant.
    library_version_id: Mapped[int | None] = mapped_column(ForeignKey("library_versions.id"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)

    questions: Mapped[list[Question]] = relationship(
        back_populates="bank", order_by="Question.position", cascade="all, delete-orphan"
    )

    @property
    def active_questions(self) -> list[Question]:
        return [q for q in self.questions if q.active]


class Question(TenantScoped, Model):
    """A question whose wording lives in revisions: editing adds one, attempts keep the one they showed."""

    __tablename__ = "questions"
    __table_args__ = (Index("ix_questions_tenant_bank", "tenant_id", "bank_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    bank_id: Mapped[int] = mapped_column(ForeignKey("question_banks.id"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    # Retired questions are no longer drawn but stay for the attempts that showed them.
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)

    bank: Mapped[QuestionBank] = relationship(back_populates="questions")
    revisions: Mapped[list[QuestionRevision]] = relationship(
        back_populates="question", order_by="QuestionRevision.number", cascade="all, delete-orphan"
    )

    @property
    def current(self) -> QuestionRevision:
        return self.revisions[-1]


class QuestionRevision(TenantScoped, Model):
    """One wording of a question, its answer key and feedback. Never changed once written.

    ``data`` by type:
      single, multiple, true_false: {"options": [{"id", "text", "correct", "feedback"}]}
      short_answer: {"accepted": [str], "pattern": str}
      numeric: {"answer": float, "tolerance": float}
      ordering: {"items": [{"id", "text"}]}            (in the correct order)
      matching: {"pairs": [{"id", "left", "right"}]}
    and for every type: "feedback_correct", "feedback_incorrect".
    """

    __tablename__ = "question_revisions"
    __table_args__ = (tenant_unique("question_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("questions.id"), index=True)
    number: Mapped[int] = mapped_column(Integer, default=1)
    type: Mapped[str] = mapped_column(String(20))
    prompt: Mapped[str] = mapped_column(Text)
    prompt_html: Mapped[str] = mapped_column(Text, default="")
    points: Mapped[int] = mapped_column(Integer, default=1)
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)

    question: Mapped[Question] = relationship(back_populates="revisions")


class Quiz(TenantScoped, Model):
    """An assessment: which questions, how it is taken, and what counts as a pass."""

    __tablename__ = "quizzes"
    __table_args__ = (tenant_unique("title"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    layout: Mapped[str] = mapped_column(String(20), default=QuizLayout.one_page.value)
    shuffle_questions: Mapped[bool] = mapped_column(default=False)
    shuffle_options: Mapped[bool] = mapped_column(default=True)
    pass_percent: Mapped[int] = mapped_column(Integer, default=80)
    time_limit_minutes: Mapped[int | None] = mapped_column(Integer)
    max_attempts: Mapped[int | None] = mapped_column(Integer)
    wait_minutes: Mapped[int | None] = mapped_column(Integer)
    show_answers: Mapped[str] = mapped_column(String(20), default=ShowAnswers.after_pass.value)
    library_version_id: Mapped[int | None] = mapped_column(ForeignKey("library_versions.id"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)

    sections: Mapped[list[QuizSection]] = relationship(
        back_populates="quiz", order_by="QuizSection.position", cascade="all, delete-orphan"
    )


class QuizSection(TenantScoped, Model):
    """One part of a quiz: a fixed question, or N questions drawn at random from a bank."""

    __tablename__ = "quiz_sections"

    id: Mapped[int] = mapped_column(primary_key=True)
    quiz_id: Mapped[int] = mapped_column(ForeignKey("quizzes.id"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    question_id: Mapped[int | None] = mapped_column(ForeignKey("questions.id"), index=True)
    bank_id: Mapped[int | None] = mapped_column(ForeignKey("question_banks.id"), index=True)
    draw_count: Mapped[int | None] = mapped_column(Integer)

    quiz: Mapped[Quiz] = relationship(back_populates="sections")
    question: Mapped[Question | None] = relationship()
    bank: Mapped[QuestionBank | None] = relationship()


class Attempt(TenantScoped, Model):
    """One try at a quiz: the questions drawn, the answers saved, the server's grade."""

    __tablename__ = "quiz_attempts"
    __table_args__ = (
        tenant_unique("quiz_id", "user_id", "number"),
        Index("ix_quiz_attempts_tenant_user_quiz", "tenant_id", "user_id", "quiz_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    quiz_id: Mapped[int] = mapped_column(ForeignKey("quizzes.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    enrollment_id: Mapped[int | None] = mapped_column(ForeignKey("enrollments.id"), index=True)
    lesson_id: Mapped[int | None] = mapped_column(ForeignKey("lessons.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20), default=AttemptStatus.in_progress.value)
    started_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    deadline_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    submitted_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    score_points: Mapped[float | None] = mapped_column(Float)
    max_points: Mapped[float | None] = mapped_column(Float)
    score_percent: Mapped[float | None] = mapped_column(Float)
    pass_percent: Mapped[int] = mapped_column(Integer, default=80)
    passed: Mapped[bool | None] = mapped_column()
    # Why it ended: "submitted" by the learner, or "time_expired" finalised by the server.
    ended_by: Mapped[str | None] = mapped_column(String(20))

    quiz: Mapped[Quiz] = relationship()
    items: Mapped[list[AttemptItem]] = relationship(
        back_populates="attempt", order_by="AttemptItem.position", cascade="all, delete-orphan"
    )


class AttemptItem(TenantScoped, Model):
    """A question as shown in one attempt (the revision, the option order) and the learner's answer."""

    __tablename__ = "quiz_attempt_items"
    __table_args__ = (tenant_unique("attempt_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_id: Mapped[int] = mapped_column(ForeignKey("quiz_attempts.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    question_id: Mapped[int] = mapped_column(ForeignKey("questions.id"), index=True)
    revision_id: Mapped[int] = mapped_column(ForeignKey("question_revisions.id"), index=True)
    # Option, item or right-hand ids in the order this learner saw them.
    display_order: Mapped[list[str]] = mapped_column(JSON, default=list)
    answer: Mapped[Any | None] = mapped_column(JSON)
    answered_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    max_points: Mapped[float] = mapped_column(Float, default=1)
    points: Mapped[float | None] = mapped_column(Float)
    # Share of the points earned: 1 right, 0 wrong, in between for partial credit.
    credit: Mapped[float | None] = mapped_column(Float)

    attempt: Mapped[Attempt] = relationship(back_populates="items")
    revision: Mapped[QuestionRevision] = relationship()


class CheckpointSignoff(TenantScoped, Model):
    """A manager or instructor's record that a learner demonstrated a practical checkpoint. Never edited."""

    __tablename__ = "checkpoint_signoffs"
    __table_args__ = (tenant_unique("enrollment_id", "lesson_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    enrollment_id: Mapped[int] = mapped_column(ForeignKey("enrollments.id"), index=True)
    lesson_id: Mapped[int] = mapped_column(ForeignKey("lessons.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    signed_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    observed_on: Mapped[date] = mapped_column(Date)
    signed_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    items: Mapped[list[str]] = mapped_column(JSON, default=list)
    note: Mapped[str] = mapped_column(Text, default="")
