"""The certificates queue's job: render, sign and store one certificate's PDF (and its badge)."""

from __future__ import annotations

from app import audit
from app.accounts.models import User
from app.certificates import badges, documents, services
from app.certificates.models import Certificate
from app.extensions import db
from app.storage import storage
from app.tenancy import context as tenancy_context
from app.tenancy.models import Tenant


def issue_certificate(certificate_id: int) -> str | None:
    """Make the signed PDF of one certificate; return its SHA-256.

    Safe to run again: a run after a killed one (nothing was committed) makes it, a run after a
    finished one finds it made and does nothing, and two at once store only one.
    """
    certificate = db.session.get(Certificate, certificate_id)
    if certificate is None:
        raise LookupError(f"no certificate {certificate_id} in this tenant")
    if certificate.pdf_sha256 is not None:
        return certificate.pdf_sha256
    tenant = db.session.get(Tenant, tenancy_context.current_tenant_id())
    assert tenant is not None
    holder = db.session.get(User, certificate.user_id)
    pdf, kid = documents.render_signed_pdf(tenant, holder, certificate)
    digest = documents.sha256(pdf)
    badge = badges.issue_badge(tenant, certificate)
    key = storage().save(tenant.id, "certificates", pdf, "pdf")
    if not services.mark_issued(certificate.id, sha256=digest, storage_key=key, kid=kid, badge=badge):
        db.session.expire(certificate)
        return certificate.pdf_sha256
    audit.record(
        "certificate.issued", target=certificate, after={"serial": certificate.serial, "sha256": digest}
    )
    return digest
