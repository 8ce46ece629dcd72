"""The compliance dashboard of My team: each person's required items, worst first, and what to do."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from htmx_flask import request
from sqlalchemy import select

from app.accounts import org
from app.accounts import permissions as perms
from app.accounts.access import require_permission
from app.accounts.models import OrgUnit, User
from app.compliance import services
from app.compliance.status import Status, for_people, portal_today, summarise
from app.errors import ValidationError
from app.extensions import db
from app.inputs import page_number, parse_id
from app.learning.models import Course, Enrollment
from app.tenancy.models import utcnow

bp = Blueprint("compliance", __name__, url_prefix="/team/compliance")

#: People on one page of the dashboard.
PAGE_SIZE = 50
#: The status filter's choices beyond the item statuses.
NOT_COMPLIANT = "not_compliant"


def _filters(people: list[User]) -> dict[str, Any]:
    """The filter values asked for, kept only when they are among the choices (a bad value shows everyone)."""
    location = parse_id(request.args.get("location", ""))
    title = request.args.get("job_title", "").strip()[:200]
    status = request.args.get("status", "")
    item = request.args.get("item", "").strip()[:300]
    if status not in {s.value for s in Status} | {NOT_COMPLIANT}:
        status = ""
    return {"location": location, "job_title": title, "status": status, "item": item}


@bp.route("/")
@require_permission(perms.TEAM_VIEW)
def dashboard() -> Any:
    """The people a manager reaches, worst first, filtered by location, job title, status and item."""
    today = portal_today()
    people = org.reach_of(current_user)
    chosen = _filters(people)
    standing = for_people([p.id for p in people], today)
    unit_ids = {p.org_unit_id for p in people if p.org_unit_id is not None}
    units = (
        list(
            db.session.scalars(select(OrgUnit).where(OrgUnit.id.in_(sorted(unit_ids))).order_by(OrgUnit.name))
        )
        if unit_ids
        else []
    )
    unit_names = {u.id: u.name for u in units}
    job_titles = sorted(
        {p.job_title.strip() for p in people if p.job_title and p.job_title.strip()}, key=str.casefold
    )
    items = sorted(
        {(i.key, i.title, i.kind.value) for s in standing.values() for i in s.items}, key=lambda k: k[0]
    )

    shown = people
    if chosen["location"] in unit_ids:
        inside = org.subtree_ids(chosen["location"])
        shown = [p for p in shown if p.org_unit_id in inside]
    else:
        chosen["location"] = None
    if chosen["job_title"]:
        wanted = chosen["job_title"].casefold()
        shown = [p for p in shown if (p.job_title or "").strip().casefold() == wanted]

    def matches(person: User) -> bool:
        own = standing[person.id]
        relevant = [i for i in own.items if not chosen["item"] or i.key == chosen["item"]]
        if chosen["item"] and not relevant:
            return False
        if chosen["status"] == NOT_COMPLIANT:
            return any(i.status.breaks_compliance for i in relevant)
        if chosen["status"]:
            return any(i.status.value == chosen["status"] for i in relevant)
        return True

    shown = [p for p in shown if matches(p)]
    shown.sort(key=lambda p: (standing[p.id].urgency, p.full_name.casefold(), p.id))
    counts = summarise(standing[p.id] for p in shown)
    page = request.args.get("page", 1, type=page_number)
    page_people = shown[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
    reminded = services.last_reminders([p.id for p in page_people])
    now = utcnow()
    rows = [
        {
            "person": person,
            "standing": standing[person.id],
            "location": unit_names.get(person.org_unit_id) if person.org_unit_id else None,
            "reminded_minutes": _minutes_since(reminded.get(person.id), now),
        }
        for person in page_people
    ]
    context = {
        "rows": rows,
        "total": len(shown),
        "page": page,
        "per_page": PAGE_SIZE,
        "counts": counts,
        "chosen": chosen,
        "units": units,
        "job_titles": job_titles,
        "items": items,
        "statuses": list(Status),
        "not_compliant": NOT_COMPLIANT,
        "today": today,
        "remind_every_minutes": int(services.REMIND_EVERY.total_seconds() // 60),
    }
    if request.htmx and request.htmx.target == "compliance-list":
        return render_template("compliance/_list.html", **context)
    return render_template("compliance/dashboard.html", **context)


def _minutes_since(moment: datetime | None, now: datetime) -> int | None:
    if moment is None:
        return None
    return max(0, int((now - services._aware(moment)).total_seconds() // 60))


def _back(person_id: int | None = None) -> Any:
    """Back to the person's page or the dashboard as the manager had it filtered (never elsewhere)."""
    if person_id is not None and request.form.get("back") == "person":
        return redirect(url_for("team.person", user_id=person_id))
    kept = {
        k: v
        for k, v in request.form.items()
        if k in ("location", "job_title", "status", "item", "page") and v
    }
    return redirect(url_for("compliance.dashboard", **kept))


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


@bp.route("/enrollments/<int:enrollment_id>/due-date", methods=["GET", "POST"])
@require_permission(perms.TEAM_ASSIGN)
def extend_due_date(enrollment_id: int) -> Any:
    """Move a person's due date for a course, saying why."""
    from app.compliance.forms import DueDateForm

    enrollment, person, course = _enrollment_in_reach(enrollment_id)
    form = DueDateForm()
    if request.method == "GET":
        form.due_on.data = enrollment.due_on.isoformat() if enrollment.due_on else ""
    error_field = None
    if form.validate_on_submit():
        try:
            new_due_on = services.parse_due_date(form.due_on.data)
            services.extend_due_date(enrollment, new_due_on, form.reason.data or "")
        except ValidationError as exc:
            error_field = exc.field
            target = form.reason if exc.field == "reason" else form.due_on
            target.errors = [*target.errors, exc.message]
        else:
            flash(
                _(
                    "%(course)s is now due on %(date)s for %(name)s.",
                    course=course.title,
                    date=new_due_on.isoformat(),
                    name=person.full_name,
                ),
                "success",
            )
            return redirect(url_for("compliance.dashboard"))
    status = 422 if request.method == "POST" else 200
    return (
        render_template(
            "compliance/due_date.html",
            form=form,
            enrollment=enrollment,
            person=person,
            course=course,
            error_field=error_field,
        ),
        status,
    )
