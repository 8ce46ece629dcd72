"""Policy administration: write, version and publish policies; see and export who accepted them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import get_timezone
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload
from sqlalchemy.orm.attributes import set_committed_value

from app.accounts import permissions as perms
from app.accounts.access import get_or_404, require_any_permission, require_permission
from app.accounts.models import Group
from app.accounts.services import org_unit_tree
from app.errors import ValidationError
from app.extensions import db
from app.forms import apply_error, as_choices, form_status
from app.inputs import page_number, past_last_page
from app.policies import report_rows, reports
from app.policies import services as policies
from app.policies.forms import DraftForm, PolicyForm
from app.policies.models import Policy, PolicyVersion

bp = Blueprint("policy_admin", __name__, url_prefix="/admin/policies")


# Policy admins, and auditors (read-only), may see policies and their reports.
require_policy_reader = require_any_permission(perms.POLICIES_MANAGE, perms.POLICIES_REPORT)
require_manager = require_permission(perms.POLICIES_MANAGE)


def _policy_form() -> PolicyForm:
    form = PolicyForm()
    form.groups.choices = as_choices(
        (str(gr.id), gr.name) for gr in db.session.scalars(select(Group).order_by(Group.name))
    )
    form.org_units.choices = as_choices(
        (str(u.id), "\u00a0\u00a0" * depth + u.name) for u, depth in org_unit_tree()
    )
    return form


@bp.route("/")
@require_policy_reader
def index() -> Any:
    rows = list(
        db.session.scalars(
            select(Policy)
            .options(selectinload(Policy.versions), selectinload(Policy.audiences))
            .order_by(Policy.title)
        )
    )
    return render_template("policies/admin/index.html", policies=rows, counts=reports.audience_counts(rows))


@bp.route("/new", methods=["GET", "POST"])
@require_manager
def new_policy() -> Any:
    form = _policy_form()
    if form.validate_on_submit():
        try:
            policy = policies.create_policy(
                form.title.data or "",
                visibility=form.visibility.data or "everyone",
                audiences={
                    "group": list(form.groups.data or []),
                    "org_unit": list(form.org_units.data or []),
                },
                due_days=form.due_days.data,
            )
        except ValidationError as exc:
            apply_error(form, exc)
        else:
            flash(
                _("“%(title)s” was created. Write its first version, then publish it.", title=policy.title),
                "success",
            )
            return redirect(url_for("policy_admin.edit_draft", policy_id=policy.id))
    status = form_status()
    return render_template("policies/admin/policy_form.html", form=form), status


@bp.route("/<int:policy_id>")
@require_policy_reader
def detail(policy_id: int) -> Any:
    policy = get_or_404(Policy, policy_id)
    draft = next((v for v in policy.versions if v.published_at is None), None)
    return render_template("policies/admin/detail.html", policy=policy, draft=draft)


@bp.route("/<int:policy_id>/draft", methods=["GET", "POST"])
@require_manager
def edit_draft(policy_id: int) -> Any:
    policy = get_or_404(Policy, policy_id)
    draft = next((v for v in policy.versions if v.published_at is None), None)
    form = DraftForm()
    if request.method == "GET":
        source = draft or policy.current_version
        if source is not None:
            form.content.data = "pdf" if source.is_pdf else "text"
            form.body.data = source.body_markdown
        form.material.data = draft.material if draft is not None else True
    number = draft.number if draft is not None else len(policy.versions) + 1
    if form.validate_on_submit():
        upload = form.document.data
        document = None
        if upload is not None and getattr(upload, "filename", None):
            document = (upload.filename, upload.read())
        try:
            saved = policies.save_draft(
                policy,
                form.body.data or "",
                material=bool(form.material.data),
                content=form.content.data or "text",
                document=document,
            )
        except ValidationError as exc:
            apply_error(form, exc)
        else:
            flash(
                _("Version %(n)d was saved as a draft. Publish it when it is ready.", n=saved.number),
                "success",
            )
            return redirect(url_for("policy_admin.detail", policy_id=policy.id))
    status = form_status()
    return render_template(
        "policies/admin/draft_form.html", form=form, policy=policy, draft=draft, number=number
    ), status


@bp.route("/<int:policy_id>/publish", methods=["POST"])
@require_manager
def publish(policy_id: int) -> Any:
    policy = get_or_404(Policy, policy_id)
    draft = next((v for v in policy.versions if v.published_at is None), None)
    if draft is None:
        flash(_("There is no draft to publish. Write a new version first."), "error")
        return redirect(url_for("policy_admin.detail", policy_id=policy.id))
    try:
        policies.publish_version(draft)
    except ValidationError as exc:
        db.session.rollback()  # the redirect below would commit whatever was written
        flash(exc.message, "error")
    else:
        if draft.material:
            message = _(
                "Version %(n)d is published. Everyone it applies to is asked to accept it.", n=draft.number
            )
        else:
            message = _(
                "Version %(n)d is published as a minor change; nobody is asked again.", n=draft.number
            )
        flash(message, "success")
    return redirect(url_for("policy_admin.detail", policy_id=policy.id))


def _version_of(policy_id: int, version_id: int) -> PolicyVersion:
    """A published version of the tenant's policy *policy_id*, found among the policy's versions.

    The report needs them all (which one binds), so they are read with the policy in one statement,
    and the version's policy is the one just loaded rather than read again.
    """
    policy = (
        db.session.scalars(select(Policy).options(joinedload(Policy.versions)).where(Policy.id == policy_id))
        .unique()
        .first()
    )
    if policy is None:
        abort(404)
    version = next((v for v in policy.versions if v.id == version_id), None)
    if version is None or version.published_at is None:
        abort(404)
    set_committed_value(version, "policy", policy)
    return version


@bp.route("/<int:policy_id>/versions/<int:version_id>")
@require_policy_reader
def report(policy_id: int, version_id: int) -> Any:
    version = _version_of(policy_id, version_id)
    report_data = reports.version_report(
        version,
        accepted_page=request.args.get("accepted_page", 1, type=page_number),
        pending_page=request.args.get("pending_page", 1, type=page_number),
    )
    back = past_last_page(
        report_data.per_page,
        accepted_page=(report_data.accepted_page, report_data.accepted_total),
        pending_page=(report_data.pending_page, report_data.pending_total),
    )
    if back is not None:
        return back
    return render_template(
        "policies/admin/report.html",
        policy=version.policy,
        version=version,
        report=report_data,
        today=datetime.now(get_timezone()).date(),
        accepted_rows=report_rows.accepted_rows,  # each list's rows written at once, with the page's labels
        pending_rows=report_rows.pending_rows,
    )


@bp.route("/<int:policy_id>/versions/<int:version_id>/export.csv", methods=["POST"])
@require_policy_reader
def export(policy_id: int, version_id: int) -> Any:
    """The report as CSV for an auditor, streamed: UTC ISO 8601 times, hashes, formula-safe cells.

    A POST, because the export is audited (who took the list of signers, when) and GET never writes.
    """
    from app import audit
    from app.storage import safe_filename

    version = _version_of(policy_id, version_id)
    records = reports.report_records(version)
    audit.record(
        "policy.report_exported",
        target=version.policy,
        after={"version": version.number, "rows": len(records) - 1},
    )
    name = safe_filename(
        f"{version.policy.title}-version-{version.number}-acknowledgements.csv", "policy.csv"
    )
    return Response(
        reports.csv_lines(records),
        mimetype="text/csv",
        content_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
