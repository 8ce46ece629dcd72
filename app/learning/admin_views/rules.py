"""Enrolment rules: conditions on people that enrol them in a course or path automatically."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from htmx_flask import request
from sqlalchemy import select

from app.accounts.access import get_or_404, require_permission
from app.accounts.models import Group
from app.accounts.services import org_unit_tree
from app.errors import ValidationError
from app.extensions import db
from app.forms import apply_error, as_choices, form_status
from app.learning.admin_views import MANAGE, bp
from app.learning.forms import RuleForm
from app.learning.models import Course, EnrollmentRule, LearningPath
from app.learning.services import rules as rule_service


def _targets() -> list[tuple[str, str]]:
    courses = db.session.scalars(
        select(Course).where(Course.status == "published").order_by(Course.title)
    ).all()
    paths = db.session.scalars(
        select(LearningPath).where(LearningPath.status == "published").order_by(LearningPath.title)
    ).all()
    extra = [
        (f"{target.kind}:{item_id}", str(target.label) % {"title": title})
        for target in rule_service.extra_targets()
        for item_id, title in target.options()
    ]
    return [
        *((f"course:{c.id}", _("Course: %(title)s", title=c.title)) for c in courses),
        *((f"path:{p.id}", _("Path: %(title)s", title=p.title)) for p in paths),
        *extra,
    ]


def _rule_form(rule: EnrollmentRule | None = None) -> RuleForm:
    form = RuleForm(obj=rule) if request.method == "GET" and rule else RuleForm()
    form.target.choices = as_choices([("", _("— choose —")), *_targets()])
    form.due_mode.choices = as_choices(rule_service.DUE_MODES.items())
    if request.method == "GET" and rule is not None:
        form.target.data = (
            f"course:{rule.course_id}"
            if rule.course_id
            else f"path:{rule.path_id}"
            if rule.path_id
            else f"{rule.target_kind}:{rule.target_id}"
        )
    return form


def _posted_conditions() -> list[dict[str, str]]:
    fields = request.form.getlist("condition_field")
    ops = request.form.getlist("condition_op")
    texts = request.form.getlist("condition_value")
    units = request.form.getlist("condition_unit")
    groups = request.form.getlist("condition_group")
    names = request.form.getlist("condition_name")

    def at(values: list[str], i: int) -> str:
        return values[i] if i < len(values) else ""

    rows = []
    for i, field in enumerate(fields):
        value = at(units, i) if field == "org_unit" else at(groups, i) if field == "group" else at(texts, i)
        rows.append({"field": field, "op": at(ops, i) or "is", "value": value, "name": at(names, i)})
    return rows


def _rule_fields(form: RuleForm) -> dict[str, Any]:
    return {
        "name": form.name.data,
        "match": form.match.data,
        "target": form.target.data,
        "due_mode": form.due_mode.data,
        "due_days": form.due_days.data,
        "due_date": form.due_date.data,
    }


def _rule_context(
    form: RuleForm, rule: EnrollmentRule | None, conditions: list[dict[str, str]], preview: Any = None
) -> dict[str, Any]:
    while len(conditions) < 3:
        conditions = [*conditions, {"field": "", "op": "is", "value": "", "name": ""}]
    return {
        "form": form,
        "rule": rule,
        "conditions": conditions,
        "preview": preview,
        "fields": rule_service.FIELDS,
        "operators": rule_service.OPERATORS,
        "units": org_unit_tree(),
        "groups": db.session.scalars(select(Group).order_by(Group.name)).all(),
    }


@bp.route("/rules")
@require_permission(MANAGE)
def rules() -> Any:
    rows = db.session.scalars(select(EnrollmentRule).order_by(EnrollmentRule.name)).all()
    return render_template("learning/admin/rules.html", rules=rows, target_title=rule_service.target_title)


@bp.route("/rules/new", methods=["GET", "POST"])
@bp.route("/rules/<int:rule_id>", methods=["GET", "POST"])
@require_permission(MANAGE)
def edit_rule(rule_id: int | None = None) -> Any:
    rule = get_or_404(EnrollmentRule, rule_id) if rule_id is not None else None
    form = _rule_form(rule)
    conditions = _posted_conditions() if request.method == "POST" else list(rule.conditions if rule else [])
    preview = None
    if request.method == "POST":
        form_valid = form.validate_on_submit()
        saving = request.form.get("action") == "save"
        try:
            # Checked even when the form itself is refused, so every problem shows at once.
            draft = rule_service.clean_rule(_rule_fields(form), conditions, require_name=saving)
            if form_valid:
                preview = rule_service.preview(draft)
                if saving:
                    saved = rule_service.save_rule(rule, draft)
                    enrolled = rule_service.run_rule(saved)
                    flash(
                        _(
                            "The rule “%(name)s” is saved and enrolled %(n)d people now. "
                            "It keeps enrolling people "
                            "who match as they join or change.",
                            name=saved.name,
                            n=enrolled,
                        ),
                        "success",
                    )
                    return redirect(url_for("authoring.rules"))
        except ValidationError as exc:
            for error in getattr(exc, "errors", [exc]):
                field = getattr(form, error.field or "", None)
                if field is None or not field.errors:  # one message per field
                    apply_error(form, error)
    status = form_status(ok=preview is not None and not form.errors)
    template = "learning/admin/_rule_editor.html" if request.htmx else "learning/admin/rule_form.html"
    return render_template(template, **_rule_context(form, rule, conditions, preview)), status


@bp.route("/rules/<int:rule_id>/run", methods=["POST"])
@require_permission(MANAGE)
def run_rule(rule_id: int) -> Any:
    rule = get_or_404(EnrollmentRule, rule_id)
    enrolled = rule_service.run_rule(rule)
    flash(_("“%(name)s” ran and enrolled %(n)d people.", name=rule.name, n=enrolled), "success")
    return redirect(url_for("authoring.rules"))


@bp.route("/rules/<int:rule_id>/active", methods=["POST"])
@require_permission(MANAGE)
def rule_active(rule_id: int) -> Any:
    rule = get_or_404(EnrollmentRule, rule_id)
    rule_service.set_rule_active(rule, request.form.get("active") == "1")
    return redirect(url_for("authoring.rules"))
