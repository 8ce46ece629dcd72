"""My team: a manager's people (their org-unit subtree and their reports), their compliance, and assigning."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from flask import Blueprint, abort, flash, g, redirect, render_template, url_for
from flask_babel import get_timezone
from flask_babel import gettext as _
from flask_login import current_user
from htmx_flask import request
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.accounts import org
from app.accounts import permissions as perms
from app.accounts.access import require_permission, require_sign_in
from app.accounts.models import RoleAssignment, User
from app.assessments.checkpoints import checkpoints_awaiting
from app.errors import ValidationError
from app.extensions import db
from app.inputs import page_number, parse_id, past_last_page, whole_number
from app.learning.models import Course, LearningPath
from app.learning.services import enrollments as enrolling
from app.learning.services import rules as rule_service
from app.team.choices import NO_CHOICES, assign_choices

bp = Blueprint("team", __name__, url_prefix="/team")


@bp.route("/")
@require_permission(perms.TEAM_VIEW)
def index() -> Any:
    """My team: everyone the manager reaches, worst first, what each must do, and what to do about it."""
    from app.compliance.board import item_suggestions, team_board, team_ids
    from app.compliance.status import portal_today

    course_query = request.args.get("course_q", "").strip()[:200]
    if request.htmx and request.htmx.target == "course_id":
        # The assign form's list, narrowed as the manager types (the same list without JavaScript
        # comes with the whole page through the Find button).
        if not current_user.can(perms.TEAM_ASSIGN):
            abort(403)
        return render_template(
            "learning/_team_course_options.html", choices=assign_choices(course_query), course_q=course_query
        )
    if request.htmx and request.htmx.target == "item-choices":
        # The item filter's suggestions as the manager types: the titles of their team's items.
        typed = request.args.get("item", "").strip()[:300]
        found = item_suggestions(team_ids(current_user, request.args), portal_today(), typed) if typed else []
        return render_template("compliance/_item_choices.html", item_suggestions=found)
    page = request.args.get("page", 1, type=page_number)
    context = team_board(current_user, request.args, portal_today(), page)
    if (back := past_last_page(context["per_page"], page=(page, context["total"]))) is not None:
        return back
    reach = context.pop("reach")
    if request.htmx and request.htmx.target == "compliance-list":
        return render_template("compliance/_list.html", **context)
    may_assign = current_user.can(perms.TEAM_ASSIGN)
    return render_template(
        "compliance/dashboard.html",
        **context,
        choices=assign_choices(course_query) if may_assign else NO_CHOICES,
        course_q=course_query,
        due_modes=rule_service.DUE_MODES,
        checkpoints_waiting=len(checkpoints_awaiting(current_user, reach=reach)),
    )


def may_view_person(viewer: User, person: User) -> bool:
    """Tenant admins and auditors see everyone's learning record; managers see the people they reach."""
    if viewer.can(perms.USERS_MANAGE) or viewer.can(perms.AUDIT_VIEW):
        return True
    return viewer.can(perms.TEAM_VIEW) and org.reaches(viewer, person.id)


@bp.route("/people/<int:user_id>")
@require_sign_in
def person(user_id: int) -> Any:
    """One person's page: account facts, their learning record and (for admins and auditors) their history."""
    from app.audit import sentences
    from app.audit.models import AuditEvent
    from app.certifications.services.overview import records_of_people
    from app.team.records import learning_record

    if g.tenant.is_platform:
        abort(404)
    shown = db.session.get(
        User, user_id, options=[selectinload(User.role_assignments).selectinload(RoleAssignment.role)]
    )
    if shown is None or not may_view_person(current_user, shown):
        abort(404)
    history = []
    if current_user.can(perms.USERS_MANAGE) or current_user.can(perms.AUDIT_VIEW):
        history = sentences.describe(
            db.session.scalars(
                select(AuditEvent)
                .where(AuditEvent.target_type == "User", AuditEvent.target_id == str(shown.id))
                .order_by(AuditEvent.seq.desc())
                .limit(20)
            ).all()
        )
    from app.compliance.status import for_people

    return render_template(
        "learning/person.html",
        person=shown,
        compliance=for_people([shown.id]).get(shown.id),
        may_act=current_user.can(perms.TEAM_VIEW) and org.reaches(current_user, shown.id),
        record=learning_record(shown),
        certifications=records_of_people([shown.id]).get(shown.id, []),
        history=history,
        today=datetime.now(get_timezone()).date(),
    )


def _assign_target(chosen: str) -> Course | LearningPath | None:
    """The published course (its id) or learning path (``path:`` and its id) the assign form names."""
    target: Course | LearningPath | None
    if chosen.startswith("path:"):
        path_id = parse_id(chosen.removeprefix("path:"))
        target = db.session.get(LearningPath, path_id) if path_id else None
    else:
        course_id = parse_id(chosen)
        target = db.session.get(Course, course_id) if course_id else None
    return target if target is not None and target.status == "published" else None


@bp.route("/assign", methods=["POST"])
@require_permission(perms.TEAM_ASSIGN)
def assign() -> Any:
    """Assign a course or learning path to the people chosen on My team, with a due date."""
    team_ids = org.reach_ids(current_user)
    chosen = [n for n in map(parse_id, request.form.getlist("people")) if n is not None]
    if not chosen:
        flash(_("Choose at least one person from your team."), "error")
        return redirect(url_for("team.index"))
    if not set(chosen) <= team_ids:
        abort(404)  # someone outside the manager's reach
    target = _assign_target(request.form.get("course_id", ""))
    if target is None:
        flash(_("Choose a course to assign."), "error")
        return redirect(url_for("team.index"))
    people = list(db.session.scalars(select(User).where(User.id.in_(chosen))))
    try:
        due_date = date.fromisoformat(request.form["due_date"]) if request.form.get("due_date") else None
        counts = enrolling.enrol_people(
            people,
            target,
            due_mode=request.form.get("due_mode", "none"),
            due_days=request.form.get("due_days", type=whole_number),
            due_date=due_date,
            source="manager",
            assigned_by=current_user,
        )
    except (ValidationError, ValueError) as exc:
        db.session.rollback()  # the redirect below would commit the people enrolled before the refusal
        flash(
            exc.message if isinstance(exc, ValidationError) else _("Enter the due date as YYYY-MM-DD."),
            "error",
        )
        return redirect(url_for("team.index"))
    flash(
        _(
            "“%(title)s” assigned: %(new)d new, %(existing)d already enrolled.",
            title=target.title,
            new=counts["created"],
            existing=counts["existing"],
        ),
        "success",
    )
    return redirect(url_for("team.index"))
