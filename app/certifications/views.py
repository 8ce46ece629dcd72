"""A learner's certifications: state, expiry, what renewal needs, the certificate and sharing it."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, g, render_template, url_for
from flask_login import current_user

from app.accounts.access import require_sign_in
from app.certifications.services import overview
from app.learning.views import add_to_my_learning

bp = Blueprint("certifications", __name__)

# My learning lists the certifications to renew now, with what renewing needs.
add_to_my_learning("certification_renewals", overview.renewals_due)


def _certificates(record_ids: list[int]) -> dict[int, Any]:
    """The latest certificate of each record, once app.certificates is installed (it is optional here)."""
    if "certificates.verify" not in current_app.view_functions or not record_ids:
        return {}
    from importlib import import_module

    services = import_module("app.certificates.services")
    return dict(services.certificates_for_records(record_ids))


@bp.route("/certifications")
@require_sign_in
def mine() -> Any:
    held = overview.my_certifications(current_user)
    certificates = _certificates([h.record.id for h in held if h.record.cycle])
    links = {}
    for h in held:
        certificate = certificates.get(h.record.id)
        serial = getattr(certificate, "serial", None)
        verify = url_for("certificates.verify", serial=serial, _external=True) if serial else None
        links[h.record.id] = {
            "certificate": certificate,
            "serial": serial,
            "verify": verify,
            "linkedin": overview.linkedin_url(h.record, g.tenant.display_name, verify, serial),
        }
    return render_template("certifications/mine.html", held=held, links=links)
