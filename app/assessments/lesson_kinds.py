"""Assessments and practical checkpoints as lesson kinds; both gate the lessons after them."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select

from app.errors import ValidationError
from app.extensions import db
from app.inputs import parse_id
from app.learning.lesson_kinds import LessonKind, Upload, register
from app.text import render_markdown


@register
class AssessmentLesson(LessonKind):
    key = "assessment"
    label = _l("Assessment (quiz)")
    short_label = _l("Assessment")
    gates = True
    form_fields = ("quiz_id",)

    def clean(
        self,
        fields: dict[str, str],
        uploads: dict[str, Upload | None],
        current: dict[str, Any],
        tenant_id: int,
    ) -> dict[str, Any]:
        from app.assessments.models import Quiz

        raw = (fields.get("quiz_id") or "").strip()
        quiz_id = parse_id(raw)
        quiz = db.session.get(Quiz, quiz_id) if quiz_id else None
        if quiz is None:
            raise ValidationError(_("Choose the quiz learners take in this lesson."), field="quiz_id")
        return {"quiz_id": quiz.id}

    def done_elsewhere(self, enrollment: Any, lesson: Any) -> bool:
        """Passed elsewhere (another course with the same quiz): the gate is open here too."""
        from app.assessments import services as assessments
        from app.assessments.models import Quiz

        quiz = db.session.get(Quiz, (lesson.content or {}).get("quiz_id") or 0)
        return quiz is not None and assessments.quiz_state(enrollment.user, quiz).passed

    def page_context(self, enrollment: Any, lesson: Any) -> dict[str, Any]:
        from app.assessments import services as assessments

        quiz = assessments.load_quiz((lesson.content or {}).get("quiz_id") or 0)
        if quiz is None:
            return {"quiz": None, "quiz_state": None}
        state = assessments.quiz_state(current_user, quiz)
        return {
            "quiz": quiz,
            "quiz_state": state,
            "question_count": assessments.question_count(quiz),
        }

    def unlock_message(self, lesson: Any) -> str:
        from app.assessments.models import Quiz

        quiz = db.session.get(Quiz, (lesson.content or {}).get("quiz_id") or 0)
        return _(
            "Pass “%(title)s” with at least %(score)d%% to unlock this lesson.",
            title=lesson.title,
            score=quiz.pass_percent if quiz else 0,
        )

    def author_context(self) -> dict[str, Any]:
        from app.assessments.models import Quiz

        return {"quizzes": list(db.session.scalars(select(Quiz).order_by(Quiz.title)))}


@register
class CheckpointLesson(LessonKind):
    key = "checkpoint"
    label = _l("Practical checkpoint")
    gates = True
    form_fields = ("instructions", "items")

    def clean(
        self,
        fields: dict[str, str],
        uploads: dict[str, Upload | None],
        current: dict[str, Any],
        tenant_id: int,
    ) -> dict[str, Any]:
        items = [" ".join(line.split()) for line in (fields.get("items") or "").splitlines() if line.strip()]
        if not items:
            raise ValidationError(
                _("List what the learner must demonstrate, one observation per line."), field="items"
            )
        if len(items) > 50:
            raise ValidationError(_("List at most 50 observations."), field="items")
        instructions = (fields.get("instructions") or "").strip()
        return {
            "instructions": instructions,
            "instructions_html": render_markdown(instructions),
            "items": items,
        }

    def page_context(self, enrollment: Any, lesson: Any) -> dict[str, Any]:
        from app.accounts.models import User
        from app.assessments.models import CheckpointSignoff

        signoff = db.session.scalars(
            select(CheckpointSignoff).where(
                CheckpointSignoff.enrollment_id == enrollment.id, CheckpointSignoff.lesson_id == lesson.id
            )
        ).first()
        signer = db.session.get(User, signoff.signed_by_id) if signoff else None
        return {"signoff": signoff, "signer": signer}

    def unlock_message(self, lesson: Any) -> str:
        return _(
            "“%(title)s” is a practical checkpoint: this lesson unlocks once your manager or an instructor "
            "signs it off.",
            title=lesson.title,
        )
