"""The partner program's administration: tiers, their targets, and which company is in which tier."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from app.accounts import permissions as perms
from app.accounts.access import get_or_404, require_permission
from app.accounts.models import OrgUnit
from app.accounts.services import org_unit_tree
from app.errors import ValidationError, ValidationErrors
from app.extensions import db
from app.forms import apply_error, as_choices
from app.partners import services
from app.partners.forms import CompanyForm, TierForm
from app.partners.models import PartnerTier

bp = Blueprint("partner_admin", __name__, url_prefix="/admin/partners")

require_manager = require_permission(perms.PARTNERS_MANAGE)


def _errors_of(exc: ValidationError) -> list[ValidationError]:
    return exc.errors if isinstance(exc, ValidationErrors) else [exc]


def _company_form(tiers: list[PartnerTier]) -> CompanyForm:
    form = CompanyForm()
    form.org_unit_id.choices = as_choices(
        [("", _("Choose an organisation unit"))]
        + [(str(u.id), "\u00a0\u00a0" * depth + u.name) for u, depth in org_unit_tree()]
    )
    form.tier_id.choices = as_choices([("", _("Choose a tier"))] + [(str(t.id), t.name) for t in tiers])
    return form


def _index_page(tier_form: TierForm | None = None, company_form: CompanyForm | None = None) -> Any:
    tiers = services.list_tiers()
    companies = services.list_companies()
    held: dict[int, int] = {}
    for company, _unit, _tier in companies:
        held[company.tier_id] = held.get(company.tier_id, 0) + 1
    status = 422 if request.method == "POST" else 200
    return render_template(
        "partners/admin/index.html",
        tiers=tiers,
        companies=companies,
        held=held,
        tier_form=tier_form or TierForm(formdata=None),
        company_form=company_form or _company_form(tiers),
    ), status


@bp.route("/")
@require_manager
def index() -> Any:
    return _index_page()


@bp.route("/tiers", methods=["POST"])
@require_manager
def new_tier() -> Any:
    form = TierForm()
    if form.validate_on_submit():
        try:
            tier = services.create_tier(form.name.data or "", form.rank.data)
        except ValidationError as exc:
            for error in _errors_of(exc):
                apply_error(form, error)
        else:
            flash(_("The tier “%(name)s” was added. Now set its targets.", name=tier.name), "success")
            return redirect(url_for("partner_admin.tier", tier_id=tier.id))
    return _index_page(tier_form=form)


@bp.route("/tiers/<int:tier_id>", methods=["GET", "POST"])
@require_manager
def tier(tier_id: int) -> Any:
    tier = get_or_404(PartnerTier, tier_id)
    certifications = services.target_choices()
    form = TierForm(obj=tier) if request.method == "GET" else TierForm()
    typed = {cert_id: str(number) for cert_id, number in services.targets_of(tier).items()}
    target_errors: dict[int, str] = {}
    if request.method == "POST":
        typed = {c.id: request.form.get(f"target-{c.id}", "")[:20] for c in certifications}
        if form.validate_on_submit():
            try:
                services.update_tier(tier, form.name.data or "", form.rank.data, typed)
            except ValidationError as exc:
                for error in _errors_of(exc):
                    if error.field and error.field.startswith("target-"):
                        target_errors[int(error.field.removeprefix("target-"))] = error.message
                        form.form_errors.append(error.message)
                    else:
                        apply_error(form, error)
            else:
                flash(_("The tier “%(name)s” was saved.", name=tier.name), "success")
                return redirect(url_for("partner_admin.index"))
    return render_template(
        "partners/admin/tier.html",
        tier=tier,
        form=form,
        certifications=certifications,
        typed=typed,
        target_errors=target_errors,
    ), (422 if request.method == "POST" else 200)


@bp.route("/tiers/<int:tier_id>/delete", methods=["POST"])
@require_manager
def delete_tier(tier_id: int) -> Any:
    tier = get_or_404(PartnerTier, tier_id)
    name = tier.name
    try:
        services.delete_tier(tier)
    except ValidationError as exc:
        flash(exc.message, "error")
        return redirect(url_for("partner_admin.tier", tier_id=tier.id))
    flash(_("The tier “%(name)s” was deleted.", name=name), "success")
    return redirect(url_for("partner_admin.index"))


@bp.route("/companies", methods=["POST"])
@require_manager
def assign() -> Any:
    form = _company_form(services.list_tiers())
    if form.validate_on_submit():
        try:
            company = services.assign_tier(form.org_unit_id.data, form.tier_id.data)
        except ValidationError as exc:
            for error in _errors_of(exc):
                apply_error(form, error)
        else:
            unit = db.session.get(OrgUnit, company.org_unit_id)
            tier = db.session.get(PartnerTier, company.tier_id)
            flash(
                _(
                    "“%(name)s” is a partner company in the tier %(tier)s.",
                    name=unit.name if unit else "",
                    tier=tier.name if tier else "",
                ),
                "success",
            )
            return redirect(url_for("partner_admin.index"))
    return _index_page(company_form=form)


@bp.route("/companies/<int:unit_id>/remove", methods=["POST"])
@require_manager
def remove(unit_id: int) -> Any:
    unit = get_or_404(OrgUnit, unit_id)
    company = services.company_of(unit.id)
    if company is not None:
        services.remove_company(company)
        flash(_("“%(name)s” is no longer in the partner program.", name=unit.name), "success")
    return redirect(url_for("partner_admin.index"))
