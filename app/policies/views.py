"""Learners read a policy and accept it with their typed name."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, g, redirect, render_template, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user
from htmx_flask import request
from sqlalchemy import select

from app.accounts import permissions as perms
from app.accounts.access import require_sign_in
from app.errors import ValidationError
from app.extensions import db
from app.forms import apply_error, form_status
from app.learning.views import add_to_my_learning
from app.multilingual import reading
from app.policies import receipts
from app.policies import services as policies
from app.policies.forms import AcceptForm
from app.policies.models import Acknowledgement, Policy, PolicyVersion
from app.redirects import local_path
from app.storage import storage, stored_filename

bp = Blueprint("policies", __name__)

# My learning lists the policies the person must still accept.
add_to_my_learning("policies", policies.policies_to_accept)


def _signed(policy: Policy) -> list[Acknowledgement]:
    return list(
        db.session.scalars(
            select(Acknowledgement)
            .where(Acknowledgement.user_id == current_user.id, Acknowledgement.policy_id == policy.id)
            .order_by(Acknowledgement.id)
        )
    )


@bp.route("/policies/<int:policy_id>", methods=["GET", "POST"])
@require_sign_in
def policy(policy_id: int) -> Any:
    found = db.session.get(Policy, policy_id)
    if found is None or found.current_version is None:
        abort(404)
    pending = {p.policy.id: p for p in policies.pending_policies(current_user)}
    signed = _signed(found)
    if found.id not in pending and not signed:
        abort(404)  # the policy does not apply to this person
    version = found.current_version
    form = AcceptForm()
    title = reading.translated(found, "title")
    next_path = local_path(request.values.get("next"))
    if found.id in pending and form.validate_on_submit():
        try:
            policies.acknowledge_policy(
                current_user,
                version,
                form.signature.data or "",
                accepted=bool(form.accept.data),
                ip=request.remote_addr,
                user_agent=request.user_agent.string,
                read_sha256=form.content_sha256.data or None,
            )
        except ValidationError as exc:
            apply_error(form, exc)
        else:
            flash(_("Thank you. Your acceptance of “%(title)s” is recorded.", title=title), "success")
            return redirect(next_path or url_for("policies.policy", policy_id=found.id))
    elif signed and form.validate_on_submit():
        # Accepted already, by this request's twin (a double click, a second tab): same outcome.
        flash(_("Thank you. Your acceptance of “%(title)s” is recorded.", title=title), "success")
        return redirect(next_path or url_for("policies.policy", policy_id=found.id))
    from datetime import datetime

    from flask_babel import get_timezone

    status = form_status()
    return render_template(
        "policies/policy.html",
        policy=found,
        version=version,
        form=form,
        pending=pending.get(found.id),
        signed=signed,
        next_path=next_path,
        today=datetime.now(get_timezone()).date(),
    ), status


def _may_read(version: PolicyVersion) -> bool:
    if current_user.can(perms.POLICIES_MANAGE) or current_user.can(perms.POLICIES_REPORT):
        return True
    if version.published_at is None:
        return False
    if any(p.policy.id == version.policy_id for p in policies.pending_policies(current_user)):
        return True
    return bool(_signed(version.policy))


@bp.route("/policies/versions/<int:version_id>/document")
@require_sign_in
def document(version_id: int) -> Any:
    """A PDF version's file, inline so the policy page can show it (framing allowed from this site only)."""
    version = db.session.get(PolicyVersion, version_id)
    if version is None or not version.is_pdf or not _may_read(version):
        abort(404)
    data = policies.document_bytes(version)
    if data is None:
        abort(404)
    import io

    response = send_file(
        io.BytesIO(data),
        mimetype="application/pdf",
        as_attachment=request.args.get("download") == "1",
        download_name=stored_filename(
            version.document_filename or "", "application/pdf", f"policy-v{version.number}"
        ),
    )
    response.headers["X-Frame-Options"] = "SAMEORIGIN"
    response.headers["Content-Security-Policy"] = "default-src 'self'; frame-ancestors 'self'"
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _own_acknowledgement(acknowledgement_id: int) -> Acknowledgement:
    """The acknowledgement if the signer (or a policy admin) asks for it; 404 for anyone else."""
    ack = db.session.get(Acknowledgement, acknowledgement_id)
    if ack is None or (ack.user_id != current_user.id and not current_user.can(perms.POLICIES_MANAGE)):
        abort(404)
    return ack


@bp.route("/policies/receipts/<int:acknowledgement_id>")
@require_sign_in
def receipt(acknowledgement_id: int) -> Any:
    """Download the PDF receipt of an acknowledgement, or say where its preparation stands.

    A GET writes nothing: a receipt nobody asked for yet is prepared by the page's POST (htmx sends
    it on load; without JavaScript the "Prepare the receipt" button does).
    """
    ack = _own_acknowledgement(acknowledgement_id)
    ready = receipts.receipt_of(ack)
    if ready is None:
        return _receipt_waiting(ack, 202)
    return _send_receipt(ack, ready.storage_key)


@bp.route("/policies/receipts/<int:acknowledgement_id>/prepare", methods=["POST"])
@require_sign_in
def prepare_receipt(acknowledgement_id: int) -> Any:
    """Start rendering the receipt (at once without Redis); send it when ready, else say it is on its way."""
    ack = _own_acknowledgement(acknowledgement_id)
    ready = receipts.request_receipt(ack)  # the receipt names the configured address, not the Host
    if ready is None or request.htmx:
        return _receipt_waiting(ack, 202 if ready is None else 200)
    return _send_receipt(ack, ready.storage_key)


@bp.route("/policies/receipts/<int:acknowledgement_id>/status")
@require_sign_in
def receipt_status(acknowledgement_id: int) -> Any:
    """Whether the receipt is ready: a page htmx polls every 2 s (with a "Check again" link without JS)."""
    ack = _own_acknowledgement(acknowledgement_id)
    return _receipt_waiting(ack, 200)


@bp.route("/policies/receipts/<int:acknowledgement_id>/retry", methods=["POST"])
@require_sign_in
def retry_receipt(acknowledgement_id: int) -> Any:
    """Ask again for a receipt whose preparation failed or is taking too long."""
    ack = _own_acknowledgement(acknowledgement_id)
    receipts.retry_receipt(ack)
    return redirect(url_for("policies.receipt_status", acknowledgement_id=ack.id), 303)


# After this long "being prepared", the page offers to try again (the job may be stuck).
RECEIPT_PATIENCE_SECONDS = 180


def _receipt_waiting(ack: Acknowledgement, status: int) -> Any:
    ready = receipts.receipt_of(ack) is not None
    job = None if ready else receipts.receipt_job(ack)
    waited = job.age() if job is not None else None
    context = {
        "ack": ack,
        "policy": ack.version.policy,
        "ready": ready,
        "prepare": not ready and job is None,  # nobody asked for it yet (or jobs run inline)
        "job": job,
        "failed": job is not None and not job.is_live,
        "queued": job is not None and job.status == "pending",
        "waited": waited,
        "may_retry": job is not None
        and (not job.is_live or (waited is not None and waited.total_seconds() >= RECEIPT_PATIENCE_SECONDS)),
    }
    template = "policies/_receipt_status.html" if request.htmx else "policies/receipt.html"
    return render_template(template, **context), status, {"Vary": "HX-Request"}


def _send_receipt(ack: Acknowledgement, key: str) -> Any:
    import io

    data = storage().read(key, tenant_id=g.tenant.id)
    if data is None:
        abort(404)
    from app.storage import safe_filename

    name = safe_filename(
        f"receipt-{ack.version.policy.title}-v{ack.version.number}-{ack.id}.pdf", "receipt.pdf"
    )
    return send_file(io.BytesIO(data), mimetype="application/pdf", as_attachment=True, download_name=name)
