"""The public verify page (by serial or by uploading a PDF) and the holder's downloads."""

from __future__ import annotations

import io
import json
from typing import Any

from flask import Blueprint, abort, g, make_response, redirect, render_template, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.certificates import badges, serials, services, titles
from app.certificates.forms import SerialForm, UploadForm
from app.certificates.models import Certificate
from app.extensions import limiter
from app.storage import storage

bp = Blueprint("certificates", __name__)

# The most a certificate PDF someone uploads to check may weigh: ours are well under 1 MB.
MAX_UPLOAD_BYTES = 5 * 1024 * 1024
VERIFY_RATE = "60 per minute"


def _tenant_portal_only() -> None:
    tenant = g.get("tenant")
    if tenant is None or tenant.is_platform:
        abort(404)


def _verify_page(certificate: Certificate | None, typed: str, status_code: int, **extra: Any) -> Any:
    status = services.status_of(certificate)
    response = make_response(
        render_template(
            "certificates/verify.html",
            certificate=certificate,
            status=status,
            typed=typed,
            serial=serials.display(certificate.serial) if certificate else None,
            # The title as the certificate shows it: in its holder's language when translated.
            title=titles.displayed_title(certificate, g.tenant) if certificate else None,
            # An unknown serial stays in the box, to be corrected rather than typed again.
            serial_form=SerialForm(formdata=None, serial="" if certificate else typed),
            upload_form=UploadForm(formdata=None),
            max_upload_mb=MAX_UPLOAD_BYTES // (1024 * 1024),
            **extra,
        ),
        status_code,
    )
    # The holder's name is on the page: shared caches keep nothing.
    response.headers["Cache-Control"] = "private, no-cache"
    return response


@bp.route("/verify", methods=["GET", "POST"])
@limiter.limit(VERIFY_RATE)
def verify_form() -> Any:
    """Check a certificate by typing its serial number."""
    _tenant_portal_only()
    form = SerialForm()
    if form.validate_on_submit():
        serial = serials.normalise(form.serial.data or "")
        if serial is not None:
            return redirect(url_for("certificates.verify", serial=serial))
        return _verify_page(None, (form.serial.data or "")[:40], 404)
    return _verify_page(None, "", 200, start=True)


@bp.route("/verify/<serial>")
@limiter.limit(VERIFY_RATE)
def verify(serial: str) -> Any:
    """Public: what this portal knows of the certificate *serial* (a foreign serial looks unknown)."""
    _tenant_portal_only()
    certificate = services.find_by_serial(serial)
    return _verify_page(certificate, serial[:40], 200 if certificate else 404)


@bp.route("/verify/upload", methods=["POST"])
@limiter.limit(VERIFY_RATE)
def verify_upload() -> Any:
    """Public: whether an uploaded PDF is a certificate this portal issued, unchanged."""
    _tenant_portal_only()
    form = UploadForm()
    if not form.validate_on_submit():
        return _verify_page(None, "", 400, start=True, upload_error=_("Choose the certificate's PDF file."))
    upload = form.document.data
    try:
        data = upload.read(MAX_UPLOAD_BYTES + 1)
    finally:
        upload.close()  # a large upload is spooled to a temporary file: let it go now
    if len(data) > MAX_UPLOAD_BYTES:
        message = _(
            "The file is larger than %(limit)s MB; a certificate is much smaller.",
            limit=MAX_UPLOAD_BYTES // (1024 * 1024),
        )
        return _verify_page(None, "", 413, start=True, upload_error=message)
    if not data.startswith(b"%PDF-"):
        return _verify_page(None, "", 400, start=True, upload_error=_("This file is not a PDF."))
    verdict, certificate = services.verify_upload(data)
    return _verify_page(
        certificate if verdict is not services.UploadVerdict.unknown else None,
        "",
        200,
        verdict=verdict.value,
    )


def _downloadable(serial: str) -> Certificate:
    _tenant_portal_only()
    certificate = services.find_by_serial(serial)
    if certificate is None or not services.may_download(certificate, current_user):
        abort(404)
    return certificate


@bp.route("/certificates/<serial>/certificate.pdf")
def download_pdf(serial: str) -> Any:
    """The holder's signed PDF (or an admin's copy of it)."""
    certificate = _downloadable(serial)
    data = (
        storage().read(certificate.pdf_key, tenant_id=certificate.tenant_id) if certificate.pdf_key else None
    )
    if data is None:
        abort(404)
    return send_file(
        io.BytesIO(data),
        mimetype="application/pdf",
        as_attachment=True,
        download_name=f"certificate-{serials.display(certificate.serial)}.pdf",
        max_age=0,
    )


@bp.route("/certificates/<serial>/badge.json")
def download_badge(serial: str) -> Any:
    """The holder's Open Badges 3.0 credential, as JSON."""
    certificate = _downloadable(serial)
    if not certificate.badge:
        abort(404)
    response = make_response(json.dumps(certificate.badge, ensure_ascii=False, indent=2))
    response.headers["Content-Disposition"] = (
        f'attachment; filename="badge-{serials.display(certificate.serial)}.json"'
    )
    response.mimetype = "application/json"
    return response


def _json_ld(document: dict[str, Any], media_type: str) -> Any:
    response = make_response(json.dumps(document, ensure_ascii=False, indent=2))
    response.mimetype = media_type
    response.headers["Cache-Control"] = "public, max-age=300"
    response.headers["Access-Control-Allow-Origin"] = "*"  # verifiers in browsers fetch it too
    return response


@bp.route("/certificates/issuer")
def issuer() -> Any:
    """Public: the portal as a badge issuer, with every key its badges were ever signed with."""
    _tenant_portal_only()
    return _json_ld(badges.issuer_document(g.tenant), "application/json")


@bp.route("/certificates/status/revocation")
@limiter.limit(VERIFY_RATE)
def status_list() -> Any:
    """Public: the portal's signed revocation list (BitstringStatusListCredential)."""
    _tenant_portal_only()
    credential = badges.status_list_credential(g.tenant)
    if credential is None:
        abort(404)
    return _json_ld(credential, "application/vc+ld+json")
