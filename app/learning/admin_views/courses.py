"""Authoring courses: the list, a course's settings and its status."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from app.accounts.access import get_or_404
from app.accounts.models import Group
from app.accounts.services import org_unit_tree
from app.errors import ValidationError
from app.extensions import db
from app.forms import apply_error, as_choices, form_status
from app.learning.admin_views import bp, require_author
from app.learning.forms import CourseForm
from app.learning.lesson_kinds import REGISTRY
from app.learning.models import Course, Enrollment
from app.learning.services import courses as authoring
from app.locales import LOCALE_NAMES


def _course_form(course: Course | None = None) -> CourseForm:
    form = CourseForm(obj=course) if request.method == "GET" and course else CourseForm()
    form.language.choices = as_choices(LOCALE_NAMES.items())
    form.groups.choices = as_choices(
        (str(gr.id), gr.name) for gr in db.session.scalars(select(Group).order_by(Group.name))
    )
    form.org_units.choices = as_choices(
        (str(u.id), "\u00a0\u00a0" * depth + u.name) for u, depth in org_unit_tree()
    )
    if request.method == "GET" and course is not None:
        audiences = authoring.audiences_of(course)
        form.tags.data = ", ".join(course.tags or [])
        form.groups.data = audiences["group"]
        form.org_units.data = audiences["org_unit"]
        form.job_titles.data = ", ".join(audiences["job_title"])
        form.visibility.data = course.visibility
    return form


def _course_fields(form: CourseForm) -> tuple[dict[str, Any], str, dict[str, list[str]]]:
    fields = {
        "title": form.title.data,
        "description": form.description.data,
        "category": form.category.data,
        "tags": form.tags.data or "",
        "language": form.language.data,
        "duration_minutes": form.duration_minutes.data,
        "self_enroll": form.self_enroll.data,
        "listed": form.listed.data,
    }
    audiences = {
        "group": list(form.groups.data or []),
        "org_unit": list(form.org_units.data or []),
        "job_title": [t.strip() for t in (form.job_titles.data or "").split(",") if t.strip()],
    }
    return fields, form.visibility.data or "everyone", audiences


@bp.route("/courses")
@require_author
def courses() -> Any:
    status = request.args.get("status", "")
    statement = select(Course).options(selectinload(Course.lessons)).order_by(Course.title)
    if status:
        statement = statement.where(Course.status == status)
    rows = db.session.scalars(statement).all()
    counts = dict(
        db.session.execute(
            select(Enrollment.course_id, func.count())
            .where(Enrollment.withdrawn_at.is_(None))
            .group_by(Enrollment.course_id)
        ).all()
    )
    return render_template("learning/admin/courses.html", courses=rows, counts=counts, status=status)


@bp.route("/courses/new", methods=["GET", "POST"])
@require_author
def new_course() -> Any:
    form = _course_form()
    if form.validate_on_submit():
        fields, visibility, audiences = _course_fields(form)
        try:
            course = authoring.create_course(fields, visibility=visibility, audiences=audiences)
        except ValidationError as exc:
            apply_error(form, exc)
        else:
            flash(
                _(
                    "“%(title)s” was created as a draft. Add its lessons, then publish it.",
                    title=course.title,
                ),
                "success",
            )
            return redirect(url_for("authoring.edit_course", course_id=course.id))
    return render_template("learning/admin/course_form.html", form=form, course=None), form_status()


@bp.route("/courses/<int:course_id>", methods=["GET", "POST"])
@require_author
def edit_course(course_id: int) -> Any:
    course = get_or_404(Course, course_id)
    form = _course_form(course)
    if not course.from_library and form.validate_on_submit():
        fields, visibility, audiences = _course_fields(form)
        try:
            authoring.update_course(course, fields, visibility=visibility, audiences=audiences)
        except ValidationError as exc:
            apply_error(form, exc)
        else:
            flash(_("Changes to “%(title)s” were saved.", title=course.title), "success")
            return redirect(url_for("authoring.edit_course", course_id=course.id))
    status = form_status()
    return render_template(
        "learning/admin/course_form.html", form=form, course=course, kinds=REGISTRY
    ), status


@bp.route("/courses/<int:course_id>/status", methods=["POST"])
@require_author
def course_status(course_id: int) -> Any:
    course = get_or_404(Course, course_id)
    try:
        authoring.set_course_status(course, request.values.get("status", ""))
    except ValidationError as exc:
        flash(exc.message, "error")
    else:
        flash(
            _("“%(title)s” is now %(status)s.", title=course.title, status=_status_label(course.status)),
            "success",
        )
    return redirect(url_for("authoring.edit_course", course_id=course.id))


def _status_label(status: str) -> str:
    return {"draft": _("a draft"), "published": _("published"), "archived": _("archived")}.get(status, status)
