"""Managers and instructors sign off practical checkpoints for the people they manage or teach."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import DateField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from app.accounts import permissions as perms
from app.accounts.access import require_sign_in
from app.accounts.admin_views import _apply_error
from app.accounts.forms import MultiCheckboxField, as_choices
from app.accounts.models import User
from app.assessments import checkpoints
from app.errors import ValidationError
from app.extensions import db
from app.learning.models import Enrollment, Lesson
from app.learning.services import progress

bp = Blueprint("checkpoints", __name__, url_prefix="/team/checkpoints")


class SignoffForm(FlaskForm):
    items = MultiCheckboxField(_l("What you saw the learner demonstrate"), coerce=str, validate_choice=False)
    observed_on = DateField(
        _l("Observed on"), validators=[InputRequired(_l("Enter the date you observed the demonstration."))]
    )
    note = TextAreaField(_l("Note (optional)"), validators=[Optional(), Length(max=checkpoints.NOTE_MAX)])


def _may_sign_anyone_or_team() -> bool:
    return current_user.can(perms.COURSES_TEACH) or current_user.can(perms.TEAM_VIEW)


@bp.route("/")
@require_sign_in
def index() -> Any:
    if not _may_sign_anyone_or_team():
        abort(403)
    return render_template(
        "assessments/checkpoints.html",
        awaiting=checkpoints.checkpoints_awaiting(current_user),
        recent=checkpoints.recent_signoffs(current_user),
    )


def _checkpoint_for_signer(enrollment_id: int, lesson_id: int) -> tuple[Enrollment, Lesson]:
    """The enrollment and checkpoint lesson, or 404 when they are not the current person's to sign."""
    enrollment = db.session.get(Enrollment, enrollment_id)
    if (
        enrollment is None
        or enrollment.withdrawn_at is not None
        or not checkpoints.may_sign_for(current_user, enrollment.user_id)
    ):
        abort(404)
    lesson = next((item for item in progress.lessons_of(enrollment) if item.id == lesson_id), None)
    if lesson is None or lesson.kind != checkpoints.CHECKPOINT:
        abort(404)
    return enrollment, lesson


@bp.route("/<int:enrollment_id>/<int:lesson_id>", methods=["GET", "POST"])
@require_sign_in
def sign_off(enrollment_id: int, lesson_id: int) -> Any:
    enrollment, lesson = _checkpoint_for_signer(enrollment_id, lesson_id)
    signed = checkpoints.existing_signoff(enrollment, lesson)
    form = SignoffForm()
    items = checkpoints.checkpoint_items(lesson)
    form.items.choices = as_choices([(item, item) for item in items])
    if request.method == "GET":
        form.observed_on.data = checkpoints.today()
    gate = progress.locked_lessons(enrollment).get(lesson.id)
    if signed is None and form.validate_on_submit():
        try:
            checkpoints.sign_off_checkpoint(
                current_user,
                enrollment,
                lesson,
                observed_items=form.items.data or [],
                observed_on=form.observed_on.data,
                note=form.note.data or "",
            )
        except ValidationError as exc:
            db.session.rollback()
            _apply_error(form, exc)
        else:
            flash(
                _(
                    "“%(title)s” signed off for %(name)s.",
                    title=lesson.title,
                    name=enrollment.user.full_name,
                ),
                "success",
            )
            return redirect(url_for("checkpoints.index"))
    signer = db.session.get(User, signed.signed_by_id) if signed else None
    return render_template(
        "assessments/checkpoint_signoff.html",
        enrollment=enrollment,
        learner=enrollment.user,
        lesson=lesson,
        form=form,
        signed=signed,
        signer=signer,
        gate=gate,
        gate_message=checkpoints.gate_message(enrollment.user, gate) if gate else None,
        today=checkpoints.today(),
    ), (200 if request.method == "GET" or signed is not None else 422)
