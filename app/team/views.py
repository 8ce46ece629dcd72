"""Managers see their people's training (their org-unit subtree and their reports) and assign more."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from flask import Blueprint, abort, flash, g, redirect, render_template, url_for
from flask_babel import get_timezone
from flask_babel import gettext as _
from flask_login import current_user
from htmx_flask import request
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from app.accounts import org
from app.accounts import permissions as perms
from app.accounts.access import require_permission, require_sign_in
from app.accounts.models import RoleAssignment, User
from app.assessments.checkpoints import checkpoints_awaiting
from app.errors import ValidationError
from app.extensions import db
from app.inputs import id_number, page_number, parse_id, whole_number
from app.learning.models import Course, Enrollment
from app.learning.services import enrollments as enrolling
from app.learning.services import rules as rule_service

bp = Blueprint("team", __name__, url_prefix="/team")


#: People on one page of My team.
TEAM_PAGE_SIZE = 50
#: Courses offered at once in the assign form; a search narrows them (a tenant may publish thousands).
ASSIGN_CHOICES = 50


def _course_choices(query: str) -> tuple[list[Any], bool]:
    """Published courses whose title contains *query* (ids and titles, by title), and whether more match."""
    statement = select(Course.id, Course.title).where(Course.status == "published")
    if query:
        escaped = query.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        statement = statement.where(func.lower(Course.title).like(f"%{escaped}%", escape="\\"))
    rows = db.session.execute(statement.order_by(Course.title, Course.id).limit(ASSIGN_CHOICES + 1)).all()
    return list(rows[:ASSIGN_CHOICES]), len(rows) > ASSIGN_CHOICES


def _training_tallies(ids: list[int], today: date) -> dict[int, tuple[int, int, int]]:
    """(open, completed, overdue) current enrolments of each person of *ids*, counted in SQL."""
    if not ids:
        return {}
    still_open = Enrollment.completed_at.is_(None)
    statement = (
        select(
            Enrollment.user_id,
            func.count(Enrollment.id).filter(still_open),
            func.count(Enrollment.id).filter(Enrollment.completed_at.is_not(None)),
            func.count(Enrollment.id).filter(still_open, Enrollment.due_on < today),
        )
        .where(Enrollment.user_id.in_(ids), Enrollment.withdrawn_at.is_(None))
        .group_by(Enrollment.user_id)
    )
    return {
        user_id: (open_, done, overdue) for user_id, open_, done, overdue in db.session.execute(statement)
    }


@bp.route("/")
@require_permission(perms.TEAM_VIEW)
def index() -> Any:
    """The people a manager reaches, a page at a time by name, with their training and overdue policies."""
    course_query = request.args.get("course_q", "").strip()[:200]
    if request.htmx and request.htmx.target == "course_id":
        # The assign form's course list, narrowed as the manager types (the same list without JavaScript
        # comes with the whole page through the Find button).
        if not current_user.can(perms.TEAM_ASSIGN):
            abort(403)
        courses, more = _course_choices(course_query)
        return render_template(
            "learning/_team_course_options.html", courses=courses, more_courses=more, course_q=course_query
        )
    today = datetime.now(get_timezone()).date()
    show = request.args.get("show", "")
    page = request.args.get("page", 1, type=page_number)
    people = org.reach_of(current_user)
    tallies = _training_tallies([p.id for p in people], today)
    from app.policies.services import overdue_policies_for

    overdue_policies = overdue_policies_for(people, today)
    if show == "overdue":
        people = [p for p in people if tallies.get(p.id, (0, 0, 0))[2] or overdue_policies.get(p.id)]
    total = len(people)
    shown = people[(page - 1) * TEAM_PAGE_SIZE : page * TEAM_PAGE_SIZE]
    # Only the page's people's training, as the columns a row shows (no objects, no course loads).
    by_person: dict[int, list[Any]] = {}
    if shown:
        for row in db.session.execute(
            select(
                Enrollment.user_id,
                Course.title,
                Enrollment.due_on,
                Enrollment.completed_at,
                Enrollment.progress_percent,
            )
            .join(Course, Course.id == Enrollment.course_id)
            .where(Enrollment.user_id.in_([p.id for p in shown]), Enrollment.withdrawn_at.is_(None))
        ):
            by_person.setdefault(row.user_id, []).append(row)
    from app.certifications.services.overview import records_of_people

    certifications = records_of_people([p.id for p in shown])
    rows = []
    for person in shown:
        items = sorted(
            by_person.get(person.id, []), key=lambda e: (e.completed_at is not None, e.due_on or today)
        )
        open_, done, overdue = tallies.get(person.id, (0, 0, 0))
        late_policies = overdue_policies.get(person.id, [])
        rows.append(
            {
                "person": person,
                "enrollments": items,
                "overdue": overdue + len(late_policies),
                "overdue_policies": late_policies,
                "certifications": certifications.get(person.id, []),
                "done": done,
                "open": open_,
            }
        )
    # The assign form's choices: ids and titles of the first courses by title (or those the search matches).
    courses, more_courses = _course_choices(course_query)
    return render_template(
        "learning/team.html",
        rows=rows,
        total=total,
        page=page,
        per_page=TEAM_PAGE_SIZE,
        today=today,
        show=show,
        courses=courses,
        more_courses=more_courses,
        course_q=course_query,
        due_modes=rule_service.DUE_MODES,
        checkpoints_waiting=len(checkpoints_awaiting(current_user)),
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


@bp.route("/assign", methods=["POST"])
@require_permission(perms.TEAM_ASSIGN)
def assign() -> Any:
    team_ids = org.reach_ids(current_user)
    chosen = [n for n in map(parse_id, request.form.getlist("people")) if n is not None]
    if not chosen:
        flash(_("Choose at least one person from your team."), "error")
        return redirect(url_for("team.index"))
    if not set(chosen) <= team_ids:
        abort(404)  # someone outside the manager's reach
    course_id = request.form.get("course_id", type=id_number)
    course = db.session.get(Course, course_id) if course_id else None
    if course is None or course.status != "published":
        flash(_("Choose a course to assign."), "error")
        return redirect(url_for("team.index"))
    people = list(db.session.scalars(select(User).where(User.id.in_(chosen))))
    try:
        due_date = date.fromisoformat(request.form["due_date"]) if request.form.get("due_date") else None
        counts = enrolling.enrol_people(
            people,
            course,
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
            title=course.title,
            new=counts["created"],
            existing=counts["existing"],
        ),
        "success",
    )
    return redirect(url_for("team.index"))
