"""Learners take quizzes: start or resume an attempt, save answers as they go, submit, review."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from htmx_flask import request

from app.accounts.access import require_sign_in
from app.assessments import grading
from app.assessments import services as assessments
from app.assessments.models import Attempt, AttemptStatus, QuizLayout
from app.assessments.shown import shown_questions, shown_revision
from app.errors import ValidationError
from app.extensions import db
from app.inputs import page_number
from app.learning.models import Enrollment, Lesson
from app.learning.services import progress as progress_service
from app.tenancy.models import utcnow

bp = Blueprint("assessments", __name__)


@bp.context_processor
def _grading_helpers() -> dict[str, Any]:
    return {"grading": grading, "shown_revision": shown_revision}


def _form_lists() -> dict[str, list[str]]:
    return {name: request.form.getlist(name) for name in request.form if name.startswith("answer-")}


def _own_attempt(attempt_id: int) -> Attempt:
    attempt = assessments.load_attempt(attempt_id)
    if attempt is None or attempt.user_id != current_user.id:
        abort(404)
    return attempt


def _assessment_lesson(enrollment_id: int, lesson_id: int) -> tuple[Enrollment, Lesson]:
    enrollment = db.session.get(Enrollment, enrollment_id)
    if enrollment is None or enrollment.user_id != current_user.id or enrollment.withdrawn_at is not None:
        abort(404)
    lesson = next((item for item in progress_service.lessons_of(enrollment) if item.id == lesson_id), None)
    if lesson is None or lesson.kind != "assessment":
        abort(404)
    return enrollment, lesson


@bp.route("/learn/<int:enrollment_id>/lessons/<int:lesson_id>/attempts", methods=["POST"])
@require_sign_in
def start(enrollment_id: int, lesson_id: int) -> Any:
    """Start an attempt at the lesson's quiz, or go back to the one already open."""
    enrollment, lesson = _assessment_lesson(enrollment_id, lesson_id)
    back = url_for("learning.lesson", enrollment_id=enrollment.id, lesson_id=lesson.id)
    if lesson.id in progress_service.locked_lessons(enrollment):
        flash(_("This assessment is locked until you finish the lessons before it."), "error")
        return redirect(back)
    quiz = assessments.load_quiz((lesson.content or {}).get("quiz_id") or 0)
    if quiz is None:
        abort(404)
    try:
        progress_service.open_lesson(enrollment, lesson)
        attempt = assessments.start_attempt(
            current_user, quiz, enrollment_id=enrollment.id, lesson_id=lesson.id
        )
    except ValidationError as exc:
        flash(exc.message, "error")
        return redirect(back)
    return redirect(url_for("assessments.take", attempt_id=attempt.id))


def _back_to_lesson(attempt: Attempt) -> str:
    if attempt.enrollment_id and attempt.lesson_id:
        return url_for("learning.lesson", enrollment_id=attempt.enrollment_id, lesson_id=attempt.lesson_id)
    return url_for("accounts.home")


def _attempt_page(
    attempt: Attempt,
    position: int,
    errors: dict[int, str] | None = None,
    posted: dict[str, list[str]] | None = None,
) -> str:
    """The attempt's questions: all of them, or the one at *position* when the quiz goes step by step."""
    steps = attempt.quiz.layout == QuizLayout.steps.value
    shown = [i for i in attempt.items if i.position == position] if steps else attempt.items
    return render_template(
        "assessments/attempt.html",
        attempt=attempt,
        quiz=attempt.quiz,
        questions=shown_questions(shown, len(attempt.items)),
        steps=steps,
        position=position,
        now=utcnow(),
        back=_back_to_lesson(attempt),
        errors=errors or {},
        posted=posted,
    )


@bp.route("/attempts/<int:attempt_id>")
@require_sign_in
def take(attempt_id: int) -> Any:
    """The attempt's questions: all on one page, or one per step (?q=N), with saved answers filled in."""
    attempt = _own_attempt(attempt_id)
    if attempt.status == AttemptStatus.submitted.value:
        return redirect(url_for("assessments.review", attempt_id=attempt.id))
    if assessments.time_is_up(attempt, utcnow()):
        return _time_up_page(attempt)
    position = request.args.get("q", 1, type=page_number)
    if attempt.quiz.layout == QuizLayout.steps.value and not 1 <= position <= len(attempt.items):
        abort(404)
    return _attempt_page(attempt, position)


@bp.route("/attempts/<int:attempt_id>/answers/<int:position>", methods=["POST"])
@require_sign_in
def save_answer(attempt_id: int, position: int) -> Any:
    """Save one answer: htmx gets the small "saved" status; a plain post goes on to the next step."""
    attempt = _own_attempt(attempt_id)
    error = None
    try:
        assessments.save_answer(attempt, position, _form_lists())
    except ValidationError as exc:
        error = exc.message
    if request.htmx:
        item = next((i for i in attempt.items if i.position == position), None)
        response = render_template("assessments/_saved.html", position=position, item=item, error=error)
        return response, (422 if error else 200), {"Vary": "HX-Request"}
    if error:
        if attempt.status == AttemptStatus.submitted.value or assessments.time_is_up(attempt, utcnow()):
            flash(error, "error")
            return redirect(url_for("assessments.take", attempt_id=attempt.id))
        if not any(i.position == position for i in attempt.items):
            return _attempt_page(attempt, 1, {0: error}), 422, {"Vary": "HX-Request"}
        page = _attempt_page(attempt, position, {position: error}, _form_lists())
        return page, 422, {"Vary": "HX-Request"}
    go = request.form.get("go", "next")
    target = position + 1 if go == "next" else position - 1 if go == "previous" else position
    target = max(1, min(target, len(attempt.items)))
    return redirect(url_for("assessments.take", attempt_id=attempt.id, q=target) + "#question")


@bp.route("/attempts/<int:attempt_id>/submit", methods=["POST"])
@require_sign_in
def submit(attempt_id: int) -> Any:
    """Grade the attempt on the server; answers posted with the submit are saved first if in time.

    With questions unanswered, the person is asked first (a page of its own, so it works without
    JavaScript); the time limit still applies while they decide.
    """
    attempt = _own_attempt(attempt_id)
    try:
        if request.form.get("unanswered") != "confirmed":
            unanswered = assessments.save_before_submit(attempt, _form_lists())
            if unanswered:
                return _confirm_unanswered_page(attempt, unanswered)
        assessments.submit_attempt(attempt, _form_lists())
    except ValidationError as exc:
        last = len(attempt.items) if attempt.quiz.layout == QuizLayout.steps.value else 1
        return _attempt_page(attempt, last, {0: exc.message}, _form_lists()), 422
    if attempt.ended_by == "time_expired" and request.form.get("time_up"):
        flash(_("Time is up. Your attempt was submitted with the answers saved in time."), "info")
    result = url_for("assessments.review", attempt_id=attempt.id)
    if request.htmx:  # the time-up page's automatic post: go to the result
        return "", 204, {"HX-Redirect": result, "Vary": "HX-Request"}
    return redirect(result)


def _time_up_page(attempt: Attempt) -> Any:
    """An attempt whose time ran out, not yet graded: a page view writes nothing, so the page posts
    the submit (htmx on load, or the button without JavaScript) and the result follows."""
    return render_template(
        "assessments/time_up.html", attempt=attempt, quiz=attempt.quiz, back=_back_to_lesson(attempt)
    )


def _confirm_unanswered_page(attempt: Attempt, unanswered: list[int]) -> str:
    steps = attempt.quiz.layout == QuizLayout.steps.value
    first = unanswered[0]
    go_back = (
        url_for("assessments.take", attempt_id=attempt.id, q=first) + "#question"
        if steps
        else url_for("assessments.take", attempt_id=attempt.id) + f"#question-{first}"
    )
    return render_template(
        "assessments/confirm_submit.html",
        attempt=attempt,
        quiz=attempt.quiz,
        unanswered=unanswered,
        go_back=go_back,
        now=utcnow(),
        back=_back_to_lesson(attempt),
    )


@bp.route("/attempts/<int:attempt_id>/review")
@require_sign_in
def review(attempt_id: int) -> Any:
    """The graded attempt: score, pass or fail, each answer with feedback, correct answers if allowed."""
    attempt = _own_attempt(attempt_id)
    if attempt.status != AttemptStatus.submitted.value:
        if assessments.time_is_up(attempt, utcnow()):
            return _time_up_page(attempt)
        return redirect(url_for("assessments.take", attempt_id=attempt.id))
    state = assessments.quiz_state(current_user, attempt.quiz)
    show = assessments.may_show_answers(attempt, state)
    next_lesson = None
    if attempt.passed and attempt.enrollment_id:
        enrollment = db.session.get(Enrollment, attempt.enrollment_id)
        lesson = db.session.get(Lesson, attempt.lesson_id) if attempt.lesson_id else None
        following = progress_service.next_lesson(enrollment, lesson) if enrollment and lesson else None
        if enrollment is not None and following is not None:
            next_lesson = (enrollment, following)
    return render_template(
        "assessments/review.html",
        attempt=attempt,
        quiz=attempt.quiz,
        state=state,
        show_answers=show,
        back=_back_to_lesson(attempt),
        next_lesson=next_lesson,
    )
