"""Certification administration: the list, a certification's settings, requirements and status."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import func, select

from app.accounts import permissions as perms
from app.accounts.access import get_or_404, require_any_permission, require_permission
from app.accounts.models import Group
from app.accounts.services import org_unit_tree
from app.assessments.models import Quiz
from app.certifications.forms import CertificationForm
from app.certifications.models import Certification, CertificationRecord, Phase, RequirementKind
from app.certifications.services import definitions
from app.errors import ValidationError
from app.extensions import db
from app.forms import apply_error, as_choices, form_status
from app.learning.models import Course, LearningPath, Lesson
from app.policies.models import Policy

bp = Blueprint("certification_admin", __name__, url_prefix="/admin/certifications")

# Those who manage the catalog manage certifications; those who see reports may look.
require_reader = require_any_permission(perms.CATALOG_MANAGE, perms.REPORTS_VIEW)
require_manager = require_permission(perms.CATALOG_MANAGE)


def _form(cert: Certification | None = None) -> CertificationForm:
    form = CertificationForm(obj=cert) if request.method == "GET" and cert else CertificationForm()
    form.groups.choices = as_choices(
        (str(gr.id), gr.name) for gr in db.session.scalars(select(Group).order_by(Group.name))
    )
    form.org_units.choices = as_choices(
        (str(u.id), "\u00a0\u00a0" * depth + u.name) for u, depth in org_unit_tree()
    )
    if request.method == "GET" and cert is not None:
        audiences = definitions.audiences_of(cert)
        form.groups.data = audiences["group"]
        form.org_units.data = audiences["org_unit"]
        form.job_titles.data = ", ".join(audiences["job_title"])
        form.reminder_days.data = ", ".join(str(d) for d in cert.reminder_days or [])
    return form


def _fields(form: CertificationForm) -> tuple[dict[str, Any], str, dict[str, list[str]]]:
    fields = {
        "title": form.title.data,
        "description": form.description.data,
        "validity": form.validity.data,
        "validity_months": form.validity_months.data,
        "valid_until": form.valid_until.data,
        "renewal_window_days": form.renewal_window_days.data,
        "grace_days": form.grace_days.data,
        "reminder_days": form.reminder_days.data or "",
    }
    audiences = {
        "group": list(form.groups.data or []),
        "org_unit": list(form.org_units.data or []),
        "job_title": [t.strip() for t in (form.job_titles.data or "").split(",") if t.strip()],
    }
    return fields, form.visibility.data or "nobody", audiences


@bp.route("/")
@require_reader
def index() -> Any:
    certs = list(db.session.scalars(select(Certification).order_by(Certification.title)))
    counts: dict[tuple[int, str], int] = {
        (cert_id, state): n
        for cert_id, state, n in db.session.execute(
            select(CertificationRecord.certification_id, CertificationRecord.state, func.count()).group_by(
                CertificationRecord.certification_id, CertificationRecord.state
            )
        )
    }
    return render_template("certifications/admin/index.html", certifications=certs, counts=counts)


@bp.route("/new", methods=["GET", "POST"])
@require_manager
def new() -> Any:
    form = _form()
    if form.validate_on_submit():
        fields, visibility, audiences = _fields(form)
        try:
            cert = definitions.create_certification(fields, visibility=visibility, audiences=audiences)
        except ValidationError as exc:
            apply_error(form, exc)
        else:
            flash(
                _("“%(title)s” was created. Choose what earns it, then publish it.", title=cert.title),
                "success",
            )
            return redirect(url_for("certification_admin.requirements", certification_id=cert.id))
    return render_template("certifications/admin/form.html", form=form, cert=None), form_status()


@bp.route("/<int:certification_id>")
@require_reader
def detail(certification_id: int) -> Any:
    cert = get_or_404(Certification, certification_id)
    return render_template(
        "certifications/admin/detail.html", cert=cert, audiences=definitions.audiences_of(cert)
    )


@bp.route("/<int:certification_id>/edit", methods=["GET", "POST"])
@require_manager
def edit(certification_id: int) -> Any:
    cert = get_or_404(Certification, certification_id)
    form = _form(cert)
    if form.validate_on_submit():
        fields, visibility, audiences = _fields(form)
        try:
            definitions.update_certification(cert, fields, visibility=visibility, audiences=audiences)
        except ValidationError as exc:
            apply_error(form, exc)
        else:
            flash(_("Your changes were saved."), "success")
            return redirect(url_for("certification_admin.detail", certification_id=cert.id))
    return render_template("certifications/admin/form.html", form=form, cert=cert), form_status()


def requirement_choices() -> dict[str, list[tuple[int, str]]]:
    """The tenant's courses, paths, quizzes, checkpoint lessons and policies, by kind, for the pickers."""
    checkpoints = db.session.execute(
        select(Lesson.id, Lesson.title, Course.title)
        .join(Course, Course.id == Lesson.course_id)
        .where(Lesson.kind == definitions.CHECKPOINT_LESSON)
        .order_by(Course.title, Lesson.position)
    )

    def pairs(statement: Any) -> list[tuple[int, str]]:
        return [(row[0], row[1]) for row in db.session.execute(statement)]

    return {
        RequirementKind.course.value: pairs(select(Course.id, Course.title).order_by(Course.title)),
        RequirementKind.path.value: pairs(
            select(LearningPath.id, LearningPath.title).order_by(LearningPath.title)
        ),
        RequirementKind.quiz.value: pairs(select(Quiz.id, Quiz.title).order_by(Quiz.title)),
        RequirementKind.checkpoint.value: [(i, f"{course}: {title}") for i, title, course in checkpoints],
        RequirementKind.policy.value: pairs(select(Policy.id, Policy.title).order_by(Policy.title)),
    }


def _posted_requirements(phase: str) -> list[dict[str, Any]]:
    items = []
    for kind in RequirementKind:
        for value in request.form.getlist(f"{phase}-{kind.value}"):
            item: dict[str, Any] = {"kind": kind.value, "item_id": value}
            if kind == RequirementKind.quiz:
                item["min_score"] = request.form.get(f"{phase}-quiz-{value}-min", "")
            items.append(item)
    return items


def _posted_choices() -> dict[tuple[str, str, int], Any]:
    """The requirements as posted, shaped like saved ones, to show them again beside an error."""
    chosen: dict[tuple[str, str, int], Any] = {}
    for phase in Phase:
        for item in _posted_requirements(phase.value):
            if str(item["item_id"]).isdigit():
                key = (phase.value, item["kind"], int(item["item_id"]))
                chosen[key] = SimpleNamespace(min_score=item.get("min_score") or None)
    return chosen


@bp.route("/<int:certification_id>/requirements", methods=["GET", "POST"])
@require_manager
def requirements(certification_id: int) -> Any:
    cert = get_or_404(Certification, certification_id)
    error = None
    if request.method == "POST":
        try:
            for phase in Phase:
                definitions.set_requirements(cert, phase.value, _posted_requirements(phase.value))
        except ValidationError as exc:
            db.session.rollback()
            error = exc.message
        else:
            flash(_("The requirements were saved."), "success")
            return redirect(url_for("certification_admin.detail", certification_id=cert.id))
    chosen: dict[tuple[str, str, int], Any] = {(r.phase, r.kind, r.item_id): r for r in cert.requirements}
    if error:
        chosen = _posted_choices()  # what the admin picked and typed, not what was saved before
    return render_template(
        "certifications/admin/requirements.html",
        cert=cert,
        choices=requirement_choices(),
        chosen=chosen,
        error=error,
        phases=[p.value for p in Phase],
    ), (422 if error else 200)


@bp.route("/<int:certification_id>/publish", methods=["POST"])
@require_manager
def publish(certification_id: int) -> Any:
    cert = get_or_404(Certification, certification_id)
    try:
        definitions.publish(cert)
    except ValidationError as exc:
        db.session.rollback()
        flash(exc.message, "error")
    else:
        flash(
            _("“%(title)s” is published: everyone it applies to is asked to earn it.", title=cert.title),
            "success",
        )
    return redirect(url_for("certification_admin.detail", certification_id=cert.id))


@bp.route("/<int:certification_id>/archive", methods=["POST"])
@require_manager
def archive(certification_id: int) -> Any:
    cert = get_or_404(Certification, certification_id)
    definitions.archive(cert)
    flash(
        _(
            "“%(title)s” is archived: nobody new earns it; awards already made stay on record.",
            title=cert.title,
        ),
        "success",
    )
    return redirect(url_for("certification_admin.detail", certification_id=cert.id))
