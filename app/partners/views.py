"""The partner program page: each partner company against its tier's targets, and a company's people."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, render_template
from flask_login import current_user
from htmx_flask import request

from app.accounts import permissions as perms
from app.accounts.access import get_or_404, require_any_permission
from app.accounts.models import OrgUnit
from app.extensions import db
from app.inputs import page_number, parse_id, past_last_page
from app.partners import services
from app.partners.models import PartnerTier

bp = Blueprint("partners", __name__, url_prefix="/partners")

require_reader = require_any_permission(perms.PARTNERS_VIEW, perms.PARTNERS_MANAGE)

#: Companies on one page of the program, people on one page of a company.
PAGE_SIZE = 50


def _filters(args: Any) -> dict[str, Any]:
    """The tier and certification asked for, kept only when they are among the choices."""
    tiers = services.list_tiers()
    certifications = services.targeted_certifications()
    tier_id = parse_id(args.get("tier", ""))
    cert_id = parse_id(args.get("certification", ""))
    return {
        "tiers": tiers,
        "certifications": certifications,
        "tier": tier_id if tier_id in {t.id for t in tiers} else None,
        "certification": cert_id if cert_id in {c for c, _t in certifications} else None,
    }


@bp.route("/program")
@require_reader
def program() -> Any:
    """Every partner company the reader reaches against its tier's targets, those below target first."""
    chosen = _filters(request.args)
    standings = services.program(
        tier_id=chosen["tier"], certification_id=chosen["certification"], viewer=current_user
    )
    page = request.args.get("page", 1, type=page_number)
    if (back := past_last_page(PAGE_SIZE, page=(page, len(standings)))) is not None:
        return back
    context = {
        **chosen,
        "standings": standings[(page - 1) * PAGE_SIZE : page * PAGE_SIZE],
        "total": len(standings),
        "below": sum(1 for s in standings if s.below),
        "page": page,
        "per_page": PAGE_SIZE,
        "sees_every_company": services.sees_every_company(current_user),
    }
    template = "partners/_program.html" if request.htmx and request.htmx.target == "program" else None
    return render_template(template or "partners/program.html", **context), 200, {"Vary": "HX-Request"}


@bp.route("/program/export.csv", methods=["POST"])
@require_reader
def export() -> Any:
    """The program as CSV, streamed, with the filters of the page; a POST because it is audited."""
    chosen = _filters(request.form)
    standings = services.program(
        tier_id=chosen["tier"], certification_id=chosen["certification"], viewer=current_user
    )
    records = services.export_rows(standings)
    tier = next((t.name for t in chosen["tiers"] if t.id == chosen["tier"]), None)
    cert = next((title for c, title in chosen["certifications"] if c == chosen["certification"]), None)
    services.record_export({"tier": tier, "certification": cert}, len(records) - 1)
    return Response(
        services.csv_lines(records),
        mimetype="text/csv",
        content_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="partner-program.csv"'},
    )


@bp.route("/program/companies/<int:unit_id>")
@require_reader
def company(unit_id: int) -> Any:
    """A partner company's people and where each stands in the certifications its tier asks for."""
    unit = get_or_404(OrgUnit, unit_id)
    found = services.company_of(unit.id)
    if found is None or not services.sees_company(current_user, found):
        abort(404)  # not a company, or one outside the reader's reach: the same answer
    standing = services.standing_of(found)
    lines = standing.lines if standing else []
    page = request.args.get("page", 1, type=page_number)
    people, total = services.company_people(
        found, [line.certification_id for line in lines], page=page, per_page=PAGE_SIZE
    )
    if (back := past_last_page(PAGE_SIZE, page=(page, total))) is not None:
        return back
    return render_template(
        "partners/company.html",
        unit=unit,
        tier=db.session.get(PartnerTier, found.tier_id),
        standing=standing,
        lines=lines,
        people=people,
        total=total,
        page=page,
        per_page=PAGE_SIZE,
    )
