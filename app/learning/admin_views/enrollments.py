"""Enrolling people in a course (or a path) from the admin screens, and withdrawing them."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.accounts.access import get_or_404, require_permission
from app.accounts.models import Group, User, UserStatus
from app.accounts.services import org_unit_tree
from app.errors import ValidationError
from app.extensions import db
from app.forms import apply_error, as_choices, form_status
from app.learning.admin_views import MANAGE, bp
from app.learning.forms import EnrolForm
from app.learning.models import Course, Enrollment, LearningPath
from app.learning.services import enrollments as enrolling
from app.learning.services import rules as rule_service


def enrol_form() -> EnrolForm:
    """The enrol form with its choices: people matching ``q``, groups, organisation units, due dates."""
    form = EnrolForm()
    q = request.args.get("q", "")
    people, _total = _search_people(q)
    form.people.choices = as_choices((u.id, f"{u.full_name} ({u.contact})") for u in people)
    form.group_id.choices = as_choices(
        [("", _("— none —"))]
        + [(str(gr.id), gr.name) for gr in db.session.scalars(select(Group).order_by(Group.name))]
    )
    form.org_unit_id.choices = as_choices(
        [("", _("— none —"))] + [(str(u.id), "\u00a0\u00a0" * d + u.name) for u, d in org_unit_tree()]
    )
    form.due_mode.choices = as_choices(rule_service.DUE_MODES.items())
    return form


def _search_people(q: str) -> tuple[list[User], int]:
    from app.accounts.services import search_users

    return search_users(q, status=UserStatus.active.value, per_page=50)


def enrol_from_form(form: EnrolForm, target: Course | LearningPath) -> bool:
    """Enrol the people, group or org unit chosen on *form* in *target*; report errors on the form."""
    people = enrolling.people_for(
        user_ids=form.people.data or [],
        group_id=form.group_id.data,
        org_unit_id=form.org_unit_id.data,
    )
    if not people:
        form.form_errors.append(_("Choose people, a group or an organisation unit."))
        return False
    try:
        counts = enrolling.enrol_people(
            people,
            target,
            due_mode=form.due_mode.data or "none",
            due_days=form.due_days.data,
            due_date=form.due_date.data,
            assigned_by=current_user,
        )
    except ValidationError as exc:
        db.session.rollback()  # the people enrolled before the refusal must not show on the page below
        apply_error(form, exc)
        return False
    flash(
        _(
            "%(new)d enrolled; %(existing)d were already enrolled.",
            new=counts["created"],
            existing=counts["existing"],
        ),
        "success",
    )
    return True


@bp.route("/courses/<int:course_id>/enrollments", methods=["GET", "POST"])
@require_permission(MANAGE)
def course_enrollments(course_id: int) -> Any:
    course = get_or_404(Course, course_id)
    form = enrol_form()
    if form.validate_on_submit() and enrol_from_form(form, course):
        return redirect(url_for("authoring.course_enrollments", course_id=course.id))
    rows = db.session.scalars(
        select(Enrollment)
        .where(Enrollment.course_id == course.id)
        .options(selectinload(Enrollment.user))
        .order_by(Enrollment.withdrawn_at.is_not(None), Enrollment.enrolled_at.desc())
    ).all()
    status = form_status()
    return render_template(
        "learning/admin/enrollments.html",
        course=course,
        form=form,
        enrollments=rows,
        q=request.args.get("q", ""),
    ), status


@bp.route("/enrollments/<int:enrollment_id>/withdraw", methods=["POST"])
@require_permission(MANAGE)
def withdraw(enrollment_id: int) -> Any:
    enrollment = get_or_404(Enrollment, enrollment_id)
    enrolling.withdraw(enrollment)
    flash(
        _("%(name)s was withdrawn; their progress stays on record.", name=enrollment.user.full_name),
        "success",
    )
    return redirect(url_for("authoring.course_enrollments", course_id=enrollment.course_id))
