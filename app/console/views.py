"""The platform console at the root domain: create, suspend and resume tenants; usage for chargeback."""

from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import format_decimal, ngettext
from flask_babel import gettext as _
from sqlalchemy import func, select

from app.accounts import permissions as perms
from app.accounts import services as accounts
from app.accounts.access import require_permission
from app.accounts.forms import TenantForm
from app.accounts.models import User
from app.console import services as lifecycle
from app.console import usage as usage_service
from app.errors import ValidationError
from app.extensions import db
from app.forms import ConfirmForm, apply_error, as_choices, form_status
from app.locales import LOCALE_NAMES
from app.storage import safe_filename
from app.tenancy import as_tenant, unscoped
from app.tenancy import services as tenancy
from app.tenancy.models import Tenant

bp = Blueprint("console", __name__, url_prefix="/console")


def _tenant_form() -> TenantForm:
    form = TenantForm()
    form.default_locale.choices = as_choices(LOCALE_NAMES.items())
    return form


def _load_tenant(tenant_id: int) -> Tenant:
    tenant = db.session.get(Tenant, tenant_id)
    if tenant is None or tenant.is_platform:
        abort(404)
    return tenant


def _render_tenants(form: TenantForm, status: int = 200) -> tuple[str, int]:
    with unscoped("platform console: active user count per tenant"):
        counts = dict(
            db.session.execute(
                select(User.tenant_id, func.count()).where(User.status == "active").group_by(User.tenant_id)
            ).all()
        )
    return render_template(
        "console/tenants.html", tenants=tenancy.list_tenants(), counts=counts, form=form
    ), status


@bp.route("/")
@require_permission(perms.PLATFORM_TENANTS, platform=True)
def tenants():
    return _render_tenants(_tenant_form())


@bp.route("/tenants", methods=["POST"])
@require_permission(perms.PLATFORM_TENANTS, platform=True)
def create_tenant():
    form = _tenant_form()
    if form.validate_on_submit():
        try:
            # Check the first admin's email before anything is written: a refused form writes nothing.
            admin_email = _first_admin_email(form.admin_email.data)
            tenant = lifecycle.create_tenant(
                form.slug.data or "",
                form.display_name.data or "",
                audience=form.audience.data,
                partner_tier=form.partner_tier.data,
                default_locale=form.default_locale.data,
                enabled_locales=[form.default_locale.data],
                time_zone=(form.time_zone.data or "UTC").strip(),
            )
            if admin_email:
                with as_tenant(tenant):
                    accounts.create_user(
                        admin_email,
                        (form.admin_name.data or "").strip() or admin_email,
                        role_keys=("tenant_admin", "learner"),
                    )
        except ValidationError as exc:
            # Whatever was written before the refusal must not show in the page below.
            db.session.rollback()
            apply_error(form, exc)
        else:
            flash(
                _("The portal %(name)s is ready at %(slug)s.", name=tenant.display_name, slug=tenant.slug),
                "success",
            )
            return redirect(url_for("console.tenants"))
    return _render_tenants(form, 422)


def _first_admin_email(typed: str | None) -> str | None:
    """Return the first admin's normalised email, or None when none was typed."""
    if not (typed or "").strip():
        return None
    try:
        return accounts.normalise_email(typed or "")
    except ValidationError as exc:
        raise ValidationError(exc.message, field="admin_email") from None


@bp.route("/tenants/<int:tenant_id>/suspend", methods=["GET", "POST"])
@require_permission(perms.PLATFORM_TENANTS, platform=True)
def suspend_tenant(tenant_id: int):
    tenant = _load_tenant(tenant_id)
    if request.method == "GET":
        form = ConfirmForm(formdata=None, data={"confirm": "yes"})
    else:
        form = ConfirmForm()
        if form.validate_on_submit():
            lifecycle.suspend_tenant(tenant)
            flash(
                _(
                    "%(name)s is suspended. Its people cannot sign in until you resume it.",
                    name=tenant.display_name,
                ),
                "success",
            )
            return redirect(url_for("console.tenants"))
    with unscoped("platform console: active people of the tenant about to be suspended"):
        people = db.session.scalar(
            select(func.count(User.id)).where(User.tenant_id == tenant.id, User.status == "active")
        )
    return render_template(
        "console/confirm.html",
        form=form,
        heading=_("Suspend %(name)s?", name=tenant.display_name),
        crumbs=[(_("Tenants"), url_for("console.tenants")), (tenant.display_name, None)],
        paragraphs=[
            ngettext(
                "The portal at %(slug)s stops at once: its %(num)d active person cannot sign in "
                "or use its API until you resume it.",
                "The portal at %(slug)s stops at once: its %(num)d active people cannot sign in "
                "or use its API until you resume it.",
                people or 0,
                slug=tenant.slug,
            ),
            _("Nothing is deleted: resuming gives everyone their access and records back."),
        ],
        action=url_for("console.suspend_tenant", tenant_id=tenant.id),
        confirm_label=_("Suspend %(name)s", name=tenant.display_name),
        cancel=url_for("console.tenants"),
    ), form_status()


@bp.route("/tenants/<int:tenant_id>/resume", methods=["POST"])
@require_permission(perms.PLATFORM_TENANTS, platform=True)
def resume_tenant(tenant_id: int):
    tenant = _load_tenant(tenant_id)
    lifecycle.resume_tenant(tenant)
    flash(_("%(name)s is active again.", name=tenant.display_name), "success")
    return redirect(url_for("console.tenants"))


def _render_usage(report: usage_service.UsageReport | None, typed: str, error: str | None) -> str:
    return render_template(
        "console/usage.html",
        report=report,
        typed=typed,
        error=error,
        number=format_decimal,
        size=usage_service.readable_size,
    )


@bp.route("/usage")
@require_permission(perms.PLATFORM_USAGE, platform=True)
def usage():
    typed = request.args.get("month", "")
    try:
        month = usage_service.parse_month(typed)
    except ValidationError as exc:
        return _render_usage(None, typed, exc.message), 422
    report = usage_service.usage_for(month)
    return _render_usage(report, str(month), None)


@bp.route("/usage/export.csv", methods=["POST"])
@require_permission(perms.PLATFORM_USAGE, platform=True)
def export_usage():
    """The month's usage as CSV, streamed; a POST, because taking it away is audited and GET never writes."""
    typed = request.form.get("month", "")
    try:
        month = usage_service.parse_month(typed)
    except ValidationError as exc:
        return _render_usage(None, typed, exc.message), 422
    report = usage_service.usage_for(month)
    usage_service.record_export(report)
    name = safe_filename(f"atrium-usage-{month}.csv", "usage.csv")
    return Response(
        usage_service.csv_lines(usage_service.csv_records(report)),
        mimetype="text/csv",
        content_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@bp.app_template_filter("tenant_url")
def tenant_url(tenant: Tenant) -> str:
    from flask import current_app

    scheme = current_app.config["PREFERRED_URL_SCHEME"]
    port = request.host.rsplit(":", 1)[1] if ":" in request.host and not request.host.endswith("]") else ""
    return f"{scheme}://{tenant.slug}.{current_app.config['ATRIUM_DOMAIN']}{':' + port if port else ''}/"
