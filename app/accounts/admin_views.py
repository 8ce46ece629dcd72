"""Tenant admin screens: people, organisation units, groups, roles and the audit log."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, flash, g, redirect, render_template, stream_with_context, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from htmx_flask import request
from sqlalchemy import func, select

from app.accounts import org, services
from app.accounts import permissions as perms
from app.accounts.access import get_or_404, require_permission
from app.accounts.forms import AddMembersForm, GroupForm, OrgUnitForm, UserForm
from app.accounts.models import Group, OrgUnit, RoleAssignment, User, UserStatus
from app.accounts.people_rows import people_rows
from app.audit import search as audit_search
from app.audit import sentences
from app.audit.checkpoints import last_checkpoint
from app.errors import ValidationError
from app.extensions import db
from app.forms import apply_error, as_choices, form_status
from app.inputs import page_number, parse_id, past_last_page
from app.locales import LOCALE_NAMES
from app.storage import safe_filename

bp = Blueprint("admin", __name__, url_prefix="/admin")

PER_PAGE = 25


def _user_form(user: User | None = None) -> UserForm:
    form = UserForm(obj=user) if request.method == "GET" and user else UserForm()
    units = services.org_unit_tree()
    form.org_unit_id.choices = as_choices(
        [("", _("— none —"))] + [(u.id, "\u00a0\u00a0" * depth + u.name) for u, depth in units]
    )
    managers = db.session.scalars(
        select(User).where(User.status == UserStatus.active.value).order_by(User.full_name)
    ).all()
    form.manager_id.choices = as_choices(
        [("", _("— none —"))]
        + [(m.id, f"{m.full_name} ({m.contact})") for m in managers if user is None or m.id != user.id]
    )
    enabled = g.tenant.enabled_locales
    form.locale.choices = as_choices(
        [("", _("Portal default"))] + [(loc, LOCALE_NAMES.get(loc, loc)) for loc in enabled]
    )
    form.roles.choices = as_choices([(r.id, r.display_name) for r in services.list_roles()])
    if request.method == "GET":
        form.roles.data = (
            [a.role_id for a in user.role_assignments]
            if user
            else [r.id for r in services.list_roles() if r.key == "learner"]
        )
        if user is not None:
            form.locale.data = user.locale or ""
    return form


def _user_fields(form: UserForm) -> dict[str, Any]:
    return {
        "email": form.email.data or "",
        "full_name": form.full_name.data or "",
        "employee_id": form.employee_id.data,
        "job_title": form.job_title.data,
        "org_unit_id": form.org_unit_id.data,
        "manager_id": form.manager_id.data,
        "hire_date": form.hire_date.data,
        "locale": form.locale.data or None,
        "time_zone": form.time_zone.data,
    }


@bp.route("/")
@require_permission(perms.USERS_MANAGE, platform=None)
def index():
    return redirect(url_for("admin.users"))


@bp.route("/users")
@require_permission(perms.USERS_MANAGE, platform=None)
def users():
    query = request.args.get("q", "")
    status = request.args.get("status") or None
    page = request.args.get("page", 1, type=page_number)
    people, total = services.people_page(query, status=status, page=page, per_page=PER_PAGE)
    if (back := past_last_page(PER_PAGE, page=(page, total))) is not None:
        return back
    context = {
        "people": people,
        "total": total,
        "q": query,
        "status": status,
        "page": page,
        "per_page": PER_PAGE,
        "people_rows": people_rows,  # the page's rows written at once, with the template's words
    }
    if request.htmx and request.htmx.target == "user-results":
        return render_template("admin/_user_results.html", **context)
    return render_template("admin/users.html", **context)


@bp.route("/users/new", methods=["GET", "POST"])
@require_permission(perms.USERS_MANAGE, platform=None)
def new_user():
    form = _user_form()
    if form.validate_on_submit():
        try:
            user = services.create_user(**_user_fields(form), role_keys=())
            services.set_user_roles(user, list(form.roles.data or []))
        except ValidationError as exc:
            apply_error(form, exc)
        else:
            flash(_("%(name)s was added.", name=user.full_name), "success")
            return redirect(url_for("team.person", user_id=user.id))
    status = form_status()
    return render_template("admin/user_form.html", form=form, user=None), status


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@require_permission(perms.USERS_MANAGE, platform=None)
def edit_user(user_id: int):
    user = get_or_404(User, user_id)
    form = _user_form(user)
    if form.validate_on_submit():
        try:
            services.update_user(user, **_user_fields(form))
            services.set_user_roles(
                user, list(form.roles.data or []), keep_session=current_user.current_session
            )
        except ValidationError as exc:
            apply_error(form, exc)
        else:
            flash(_("Changes to %(name)s were saved.", name=user.full_name), "success")
            return redirect(url_for("team.person", user_id=user.id))
    status = form_status()
    return render_template("admin/user_form.html", form=form, user=user), status


@bp.route("/users/<int:user_id>/deactivate", methods=["POST"])
@require_permission(perms.USERS_MANAGE, platform=None)
def deactivate_user(user_id: int):
    from flask_login import current_user

    user = get_or_404(User, user_id)
    if user.id == current_user.id:
        flash(_("You cannot deactivate your own account."), "error")
    else:
        services.deactivate_user(user)
        flash(_("%(name)s is deactivated. Their records are kept.", name=user.full_name), "success")
    return redirect(url_for("team.person", user_id=user.id))


@bp.route("/users/<int:user_id>/reactivate", methods=["POST"])
@require_permission(perms.USERS_MANAGE, platform=None)
def reactivate_user(user_id: int):
    user = get_or_404(User, user_id)
    services.reactivate_user(user)
    flash(_("%(name)s can sign in again.", name=user.full_name), "success")
    return redirect(url_for("team.person", user_id=user.id))


# ---------------------------------------------------------------- org units


def _org_form(unit: OrgUnit | None = None) -> OrgUnitForm:
    form = OrgUnitForm(obj=unit) if request.method == "GET" and unit else OrgUnitForm()
    excluded = org.subtree_ids(unit.id) if unit else set()
    form.parent_id.choices = as_choices(
        [("", _("— top level —"))]
        + [
            (u.id, "\u00a0\u00a0" * depth + u.name)
            for u, depth in services.org_unit_tree()
            if u.id not in excluded
        ]
    )
    return form


@bp.route("/org-units", methods=["GET", "POST"])
@require_permission(perms.ORG_MANAGE)
def org_units():
    form = _org_form()
    if form.validate_on_submit():
        try:
            unit = services.create_org_unit(
                form.name.data or "", form.kind.data, form.parent_id.data, form.code.data
            )
        except ValidationError as exc:
            apply_error(form, exc)
        else:
            flash(_("%(name)s was added.", name=unit.name), "success")
            return redirect(url_for("admin.org_units"))
    counts = dict(
        db.session.execute(
            select(User.org_unit_id, func.count())
            .where(User.org_unit_id.is_not(None))
            .group_by(User.org_unit_id)
        ).all()
    )
    status = form_status()
    return render_template(
        "admin/org_units.html", form=form, tree=services.org_unit_tree(), counts=counts
    ), status


@bp.route("/org-units/<int:unit_id>", methods=["GET", "POST"])
@require_permission(perms.ORG_MANAGE)
def edit_org_unit(unit_id: int):
    unit = get_or_404(OrgUnit, unit_id)
    form = _org_form(unit)
    if form.validate_on_submit():
        try:
            services.update_org_unit(
                unit, form.name.data or "", form.kind.data, form.parent_id.data, form.code.data
            )
        except ValidationError as exc:
            apply_error(form, exc)
        else:
            flash(_("%(name)s was saved.", name=unit.name), "success")
            return redirect(url_for("admin.org_units"))
    people = db.session.scalars(
        select(User).where(User.org_unit_id == unit.id).order_by(User.full_name)
    ).all()
    status = form_status()
    return render_template("admin/org_unit_form.html", form=form, unit=unit, people=people), status


# ---------------------------------------------------------------- groups


@bp.route("/groups", methods=["GET", "POST"])
@require_permission(perms.GROUPS_MANAGE)
def groups():
    form = GroupForm()
    if form.validate_on_submit():
        try:
            group = services.create_group(form.name.data or "", form.description.data)
        except ValidationError as exc:
            apply_error(form, exc)
        else:
            flash(_("%(name)s was added.", name=group.name), "success")
            return redirect(url_for("admin.edit_group", group_id=group.id))
    status = form_status()
    return render_template("admin/groups.html", form=form, groups=services.list_groups()), status


@bp.route("/groups/<int:group_id>", methods=["GET", "POST"])
@require_permission(perms.GROUPS_MANAGE)
def edit_group(group_id: int):
    group = get_or_404(Group, group_id)
    form = GroupForm(obj=group) if request.method == "GET" else GroupForm()
    if form.validate_on_submit():
        try:
            services.update_group(group, form.name.data or "", form.description.data)
        except ValidationError as exc:
            apply_error(form, exc)
        else:
            flash(_("%(name)s was saved.", name=group.name), "success")
            return redirect(url_for("admin.edit_group", group_id=group.id))
    member_ids = {m.user_id for m in group.memberships}
    members = sorted((m.user for m in group.memberships), key=lambda u: u.full_name)
    q = request.args.get("q", "")
    candidates, _total = services.search_users(q, status=UserStatus.active.value, per_page=50)
    add_form = AddMembersForm()
    add_form.user_ids.choices = as_choices(
        [(u.id, f"{u.full_name} ({u.contact})") for u in candidates if u.id not in member_ids]
    )
    status = form_status()
    return render_template(
        "admin/group_form.html", form=form, group=group, members=members, add_form=add_form, q=q
    ), status


@bp.route("/groups/<int:group_id>/members", methods=["POST"])
@require_permission(perms.GROUPS_MANAGE)
def add_group_members(group_id: int):
    group = get_or_404(Group, group_id)
    ids = [n for n in map(parse_id, request.form.getlist("user_ids")) if n is not None]
    added = services.add_group_members(group, ids)
    flash(
        ngettext(
            "%(num)d person added to %(name)s.", "%(num)d people added to %(name)s.", added, name=group.name
        ),
        "success",
    )
    return redirect(url_for("admin.edit_group", group_id=group.id))


@bp.route("/groups/<int:group_id>/members/<int:user_id>/remove", methods=["POST"])
@require_permission(perms.GROUPS_MANAGE)
def remove_group_member(group_id: int, user_id: int):
    group = get_or_404(Group, group_id)
    user = get_or_404(User, user_id)
    services.remove_group_member(group, user)
    flash(_("%(person)s was removed from %(name)s.", person=user.full_name, name=group.name), "success")
    return redirect(url_for("admin.edit_group", group_id=group.id))


# ---------------------------------------------------------------- roles and audit


@bp.route("/roles")
@require_permission(perms.ROLES_MANAGE, platform=None)
def roles():
    counts = dict(
        db.session.execute(
            select(RoleAssignment.role_id, func.count()).group_by(RoleAssignment.role_id)
        ).all()
    )
    return render_template("admin/roles.html", roles=services.list_roles(), counts=counts)


@bp.route("/audit")
@require_permission(perms.AUDIT_VIEW, platform=None)
def audit_log():
    page = request.args.get("page", 1, type=page_number)
    filters = audit_search.parse_filters(request.args, audit_search.zone_named(g.tenant.time_zone))
    if filters.errors:
        return _render_audit_log(filters, None, page), 422
    rows = db.paginate(audit_search.statement_for(filters), page=page, per_page=PER_PAGE, error_out=False)
    if (back := past_last_page(PER_PAGE, page=(page, rows.total or 0))) is not None:
        return back
    return _render_audit_log(filters, rows, page)


@bp.route("/audit/export.csv", methods=["POST"])
@require_permission(perms.AUDIT_VIEW, platform=None)
def export_audit_log():
    """The filtered log as CSV, streamed; a POST: the export is audited itself, and GET never writes."""
    filters = audit_search.parse_filters(request.form, audit_search.zone_named(g.tenant.time_zone))
    if filters.errors:
        return _render_audit_log(filters, None, 1), 422
    before_seq = audit_search.record_export(filters)
    name = safe_filename(f"{g.tenant.slug}-audit-log.csv", "audit-log.csv")
    return Response(
        stream_with_context(audit_search.csv_lines(filters, g.tenant.id, before_seq)),
        mimetype="text/csv",
        content_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


def _render_audit_log(filters: audit_search.AuditFilters, rows: Any, page: int) -> str:
    return render_template(
        "admin/audit.html",
        rows=sentences.describe(list(rows.items)) if rows is not None else None,
        total=(rows.total or 0) if rows is not None else 0,
        page=page,
        per_page=PER_PAGE,
        filters=filters,
        actions=audit_search.action_choices(),
        target_types=audit_search.target_types(filters.text("target_type")),
        zone=g.tenant.time_zone or "UTC",
        changes=audit_search.changes,
        checkpoint=last_checkpoint(g.tenant.slug),
    )
