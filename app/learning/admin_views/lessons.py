"""Authoring a course's lessons: add, edit, move, reorder and remove them."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _

from app.accounts.access import get_or_404
from app.errors import ValidationError
from app.forms import apply_error, form_status
from app.inputs import id_number
from app.learning.admin_views import bp, require_author
from app.learning.forms import LessonForm
from app.learning.lesson_kinds import REGISTRY, Upload, get_kind
from app.learning.models import Course, Lesson
from app.learning.services import courses as authoring


def _uploads(form: LessonForm, kind_key: str) -> dict[str, Upload | None]:
    result: dict[str, Upload | None] = {}
    files = [(name, getattr(form, name).data) for name in ("video_file", "captions_file", "document_file")]
    files += [(name, request.files.get(name)) for name in get_kind(kind_key).upload_fields]
    for name, storage in files:
        if storage is not None and getattr(storage, "filename", None):
            result[name] = Upload(filename=storage.filename, data=storage.read())
        else:
            result[name] = None
    return result


def _lesson_fields(form: LessonForm, kind_key: str) -> dict[str, str]:
    fields = {
        name: getattr(form, name).data or ""
        for name in ("body", "video_url", "captions_language", "transcript", "note")
    }
    for name in get_kind(kind_key).form_fields:
        values = request.form.getlist(name)
        fields[name] = "\n".join(values) if len(values) > 1 else (values[0] if values else "")
    return fields


@bp.route("/courses/<int:course_id>/lessons/new", methods=["GET", "POST"])
@require_author
def new_lesson(course_id: int) -> Any:
    course = get_or_404(Course, course_id)
    kind_key = request.values.get("kind", "page")
    if kind_key not in REGISTRY or course.from_library:
        abort(404)
    form = LessonForm()
    if form.validate_on_submit():
        try:
            authoring.add_lesson(
                course,
                kind_key,
                form.title.data or "",
                bool(form.required.data),
                _lesson_fields(form, kind_key),
                _uploads(form, kind_key),
            )
        except ValidationError as exc:
            apply_error(form, exc)
        else:
            flash(_("The lesson was added."), "success")
            return redirect(url_for("authoring.edit_course", course_id=course.id) + "#lessons")
    status = form_status()
    return render_template(
        "learning/admin/lesson_form.html",
        form=form,
        course=course,
        lesson=None,
        kind=get_kind(kind_key),
        **get_kind(kind_key).author_context(),
    ), status


@bp.route("/courses/<int:course_id>/lessons/<int:lesson_id>", methods=["GET", "POST"])
@require_author
def edit_lesson(course_id: int, lesson_id: int) -> Any:
    course = get_or_404(Course, course_id)
    lesson = get_or_404(Lesson, lesson_id)
    if lesson.course_id != course.id or course.from_library:
        abort(404)
    form = LessonForm(obj=lesson) if request.method == "GET" else LessonForm()
    if request.method == "GET":
        content = lesson.content or {}
        form.body.data = content.get("markdown", "")
        form.video_url.data = content.get("url", "")
        form.captions_language.data = content.get("captions_language", "en")
        form.transcript.data = content.get("transcript", "")
        form.note.data = content.get("note", "")
    if form.validate_on_submit():
        try:
            authoring.update_lesson(
                lesson,
                form.title.data or "",
                bool(form.required.data),
                _lesson_fields(form, lesson.kind),
                _uploads(form, lesson.kind),
            )
        except ValidationError as exc:
            apply_error(form, exc)
        else:
            flash(_("The lesson was saved."), "success")
            return redirect(url_for("authoring.edit_course", course_id=course.id) + "#lessons")
    status = form_status()
    return render_template(
        "learning/admin/lesson_form.html",
        form=form,
        course=course,
        lesson=lesson,
        kind=get_kind(lesson.kind),
        **get_kind(lesson.kind).author_context(),
    ), status


@bp.route("/courses/<int:course_id>/lessons/<int:lesson_id>/move", methods=["POST"])
@require_author
def move_lesson(course_id: int, lesson_id: int) -> Any:
    course = get_or_404(Course, course_id)
    lesson = get_or_404(Lesson, lesson_id)
    if lesson.course_id != course.id:
        abort(404)
    direction = -1 if request.form.get("direction") == "up" else 1
    try:
        authoring.move_lesson(lesson, direction)
    except ValidationError as exc:
        flash(exc.message, "error")
    else:
        flash(
            _(
                "“%(title)s” moved %(where)s.",
                title=lesson.title,
                where=_("up") if direction < 0 else _("down"),
            ),
            "success",
        )
    return redirect(url_for("authoring.edit_course", course_id=course.id) + f"#lesson-{lesson.id}")


@bp.route("/courses/<int:course_id>/lessons/order", methods=["POST"])
@require_author
def reorder_lessons(course_id: int) -> Any:
    """The new order after drag and drop (SortableJS)."""
    course = get_or_404(Course, course_id)
    try:
        ids = [id_number(v) for v in request.form.getlist("lesson")]
        authoring.reorder_lessons(course, ids)
    except (ValueError, ValidationError) as exc:
        message = exc.message if isinstance(exc, ValidationError) else _("The order could not be read.")
        return jsonify(error=message), 422
    return jsonify(ok=True, message=_("The new order is saved."))


@bp.route("/courses/<int:course_id>/lessons/<int:lesson_id>/remove", methods=["POST"])
@require_author
def remove_lesson(course_id: int, lesson_id: int) -> Any:
    course = get_or_404(Course, course_id)
    lesson = get_or_404(Lesson, lesson_id)
    if lesson.course_id != course.id:
        abort(404)
    try:
        authoring.remove_lesson(lesson)
    except ValidationError as exc:
        flash(exc.message, "error")
    else:
        flash(_("The lesson was removed."), "success")
    return redirect(url_for("authoring.edit_course", course_id=course.id) + "#lessons")
