"""What a manager does from a line of My team (the compliance dashboard): remind, extend a due date."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from htmx_flask import request

from app.accounts import org
from app.accounts import permissions as perms
from app.accounts.access import require_permission
from app.accounts.models import User
from app.compliance import services
from app.compliance.board import FILTER_NAMES
from app.errors import ValidationError
from app.extensions import db
from app.learning.models import Course, Enrollment, LearningPath, PathEnrollment

bp = Blueprint("compliance", __name__, url_prefix="/team/compliance")


@bp.route("/")
def dashboard() -> Any:
    """The dashboard moved to My team: old bookmarks and links land there with their filters."""
    query = request.query_string.decode("ascii", "replace")
    return redirect(url_for("team.index") + (f"?{query}" if query else ""), code=301)


def _back(person_id: int | None = None) -> Any:
    """Back to the person's page or My team as the manager had it filtered (never elsewhere)."""
    if person_id is not None and request.form.get("back") == "person":
        return redirect(url_for("team.person", user_id=person_id))
    kept = {k: v for k, v in request.form.items() if k in FILTER_NAMES and v}
    return redirect(url_for("team.index", **kept))


@bp.route("/people/<int:user_id>/remind", methods=["POST"])
@require_permission(perms.TEAM_VIEW)
def remind(user_id: int) -> Any:
    """Email one person of the manager's team a reminder of what they still have to do."""
    person = db.session.get(User, user_id)
    if person is None or person.id == current_user.id or not org.reaches(current_user, person.id):
        abort(404)
    try:
        reminder = services.remind(person, by=current_user)
    except ValidationError as exc:
        flash(exc.message, "error")
        return _back(person.id)
    if reminder.channel == "inbox":
        flash(
            _(
                "%(name)s has no email address: the reminder is in their inbox in the portal.",
                name=person.full_name,
            ),
            "success",
        )
    else:
        flash(_("Reminder emailed to %(name)s.", name=person.full_name), "success")
    return _back(person.id)


def _enrollment_in_reach(enrollment_id: int) -> tuple[Enrollment, User, Course]:
    enrollment = db.session.get(Enrollment, enrollment_id)
    if enrollment is None or not org.reaches(current_user, enrollment.user_id):
        abort(404)
    person = db.session.get(User, enrollment.user_id)
    course = db.session.get(Course, enrollment.course_id)
    if person is None or course is None:
        abort(404)
    return enrollment, person, course


def _path_enrollment_in_reach(path_enrollment_id: int) -> tuple[PathEnrollment, User, LearningPath]:
    path_enrollment = db.session.get(PathEnrollment, path_enrollment_id)
    if path_enrollment is None or not org.reaches(current_user, path_enrollment.user_id):
        abort(404)
    person = db.session.get(User, path_enrollment.user_id)
    path = db.session.get(LearningPath, path_enrollment.path_id)
    if person is None or path is None:
        abort(404)
    return path_enrollment, person, path


def _due_date_page(
    current: Any, person: User, title: str, kind: str, action: str, extend: Callable[..., None]
) -> Any:
    """The form that moves one due date (*current*'s), saving through *extend*; errors keep what was typed."""
    from app.compliance.forms import DueDateForm

    form = DueDateForm()
    if request.method == "GET":
        form.due_on.data = current.due_on.isoformat() if current.due_on else ""
    if form.validate_on_submit():
        try:
            new_due_on = services.parse_due_date(form.due_on.data)
            extend(current, new_due_on, form.reason.data or "")
        except ValidationError as exc:
            target = form.reason if exc.field == "reason" else form.due_on
            target.errors = [*target.errors, exc.message]
        else:
            flash(
                _(
                    "%(course)s is now due on %(date)s for %(name)s.",
                    course=title,
                    date=new_due_on.isoformat(),
                    name=person.full_name,
                ),
                "success",
            )
            return redirect(url_for("team.index"))
    status = 422 if request.method == "POST" else 200
    return (
        render_template(
            "compliance/due_date.html",
            form=form,
            due_on=current.due_on,
            person=person,
            title=title,
            kind=kind,
            action=action,
        ),
        status,
    )


@bp.route("/enrollments/<int:enrollment_id>/due-date", methods=["GET", "POST"])
@require_permission(perms.TEAM_ASSIGN)
def extend_due_date(enrollment_id: int) -> Any:
    """Move a person's due date for a course, saying why."""
    enrollment, person, course = _enrollment_in_reach(enrollment_id)
    action = url_for("compliance.extend_due_date", enrollment_id=enrollment.id)
    return _due_date_page(enrollment, person, course.title, "course", action, services.extend_due_date)


@bp.route("/path-enrollments/<int:path_enrollment_id>/due-date", methods=["GET", "POST"])
@require_permission(perms.TEAM_ASSIGN)
def extend_path_due_date(path_enrollment_id: int) -> Any:
    """Move a person's due date for a learning path, saying why."""
    path_enrollment, person, path = _path_enrollment_in_reach(path_enrollment_id)
    action = url_for("compliance.extend_path_due_date", path_enrollment_id=path_enrollment.id)
    return _due_date_page(path_enrollment, person, path.title, "path", action, services.extend_path_due_date)
