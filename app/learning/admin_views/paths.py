"""Learning paths: ordered courses, their status, and who is enrolled in them."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.accounts.access import get_or_404, require_permission
from app.accounts.models import User
from app.errors import ValidationError
from app.extensions import db
from app.forms import apply_error, form_status
from app.inputs import id_number, parse_id, whole_number
from app.learning.admin_views import MANAGE, bp, require_author
from app.learning.admin_views.enrollments import enrol_form, enrol_from_form
from app.learning.forms import PathForm
from app.learning.models import Course, LearningPath
from app.learning.services import courses as authoring


@bp.route("/paths")
@require_author
def paths() -> Any:
    rows = db.session.scalars(
        select(LearningPath).options(selectinload(LearningPath.steps)).order_by(LearningPath.title)
    ).all()
    return render_template("learning/admin/paths.html", paths=rows)


def _path_course_order() -> list[int]:
    positions = []
    for key, value in request.form.items():
        if key.startswith("position_") and value.strip():
            try:
                positions.append((whole_number(value), id_number(key[9:])))
            except ValueError:
                raise ValidationError(
                    _("Number the courses 1, 2, 3… in the order people take them."), field="courses"
                ) from None
    return [course_id for _pos, course_id in sorted(positions)]


@bp.route("/paths/new", methods=["GET", "POST"])
@bp.route("/paths/<int:path_id>", methods=["GET", "POST"])
@require_author
def edit_path(path_id: int | None = None) -> Any:
    path = get_or_404(LearningPath, path_id) if path_id is not None else None
    form = PathForm(obj=path) if request.method == "GET" and path else PathForm()
    all_courses = db.session.scalars(
        select(Course).where(Course.status != "archived").order_by(Course.title)
    ).all()
    positions = {s.course_id: s.position for s in path.steps} if path else {}
    if request.method == "POST":
        positions = {
            course_id: v
            for k, v in request.form.items()
            if k.startswith("position_") and v.strip() and (course_id := parse_id(k[9:])) is not None
        }
    if form.validate_on_submit():
        try:
            order = _path_course_order()
            if path is None:
                path = authoring.create_path(
                    {
                        "title": form.title.data,
                        "description": form.description.data,
                        "self_enroll": form.self_enroll.data,
                    }
                )
            else:
                path.title = (form.title.data or "").strip()
                path.description = (form.description.data or "").strip()
                path.self_enroll = bool(form.self_enroll.data)
            authoring.set_path_courses(path, order)
            action = request.form.get("action")
            if action in ("published", "draft", "archived"):
                authoring.set_path_status(path, action)
        except ValidationError as exc:
            db.session.rollback()  # the path was changed in place before the refusal: show what is saved
            apply_error(form, exc)
        else:
            flash(_("The path “%(title)s” was saved.", title=path.title), "success")
            return redirect(url_for("authoring.edit_path", path_id=path.id))
    status = form_status()
    return render_template(
        "learning/admin/path_form.html", form=form, path=path, courses=all_courses, positions=positions
    ), status


@bp.route("/paths/<int:path_id>/enrollments", methods=["GET", "POST"])
@require_permission(MANAGE)
def path_enrollments(path_id: int) -> Any:
    """Enrol people, a group or an org unit in a path; its courses follow as they unlock."""
    from app.learning.models import PathEnrollment

    path = get_or_404(LearningPath, path_id)
    form = enrol_form()
    if form.validate_on_submit() and enrol_from_form(form, path):
        return redirect(url_for("authoring.path_enrollments", path_id=path.id))
    rows = db.session.scalars(
        select(PathEnrollment)
        .where(PathEnrollment.path_id == path.id)
        .order_by(PathEnrollment.enrolled_at.desc())
    ).all()
    users = {u.id: u for u in db.session.scalars(select(User).where(User.id.in_([r.user_id for r in rows])))}
    status = form_status()
    return render_template(
        "learning/admin/path_enrollments.html",
        path=path,
        form=form,
        enrollments=rows,
        users=users,
        q=request.args.get("q", ""),
    ), status
