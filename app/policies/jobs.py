"""Jobs of the policies feature: render an acknowledgement's PDF receipt."""

from __future__ import annotations

import base64

from flask import render_template
from flask_babel import force_locale
from sqlalchemy import select

from app import audit
from app.accounts.models import User
from app.extensions import db
from app.locales import RTL_LOCALES, person_locale
from app.pdf import html_to_pdf
from app.policies.models import Acknowledgement, PolicyReceipt
from app.policies.reports import utc_iso
from app.storage import storage
from app.tenancy import context as tenancy_context
from app.tenancy.models import Tenant
from app.tenancy.themes import brand_variables, get_theme


def render_receipt(acknowledgement_id: int, portal_url: str | None = None) -> int:
    """Render the branded PDF receipt of one acknowledgement, store it, and return the receipt's id."""
    existing = db.session.scalars(
        select(PolicyReceipt).where(PolicyReceipt.acknowledgement_id == acknowledgement_id)
    ).first()
    if existing is not None:
        return existing.id
    ack = db.session.get(Acknowledgement, acknowledgement_id)
    if ack is None:
        raise LookupError(f"no acknowledgement {acknowledgement_id} in this tenant")
    tenant = db.session.get(Tenant, tenancy_context.current_tenant_id())
    user = db.session.get(User, ack.user_id)
    assert tenant is not None and user is not None
    pdf = receipt_pdf(tenant, user, ack, portal_url or portal_address(tenant))
    receipt = PolicyReceipt(
        acknowledgement_id=ack.id, storage_key=storage().save(tenant.id, "policy-receipts", pdf, "pdf")
    )
    db.session.add(receipt)
    db.session.flush()
    audit.record("policy.receipt_rendered", target=ack, after={"receipt_id": receipt.id})
    return receipt.id


def portal_address(tenant: Tenant) -> str:
    """The tenant's address on the configured domain, scheme and port."""
    from app.tenancy.services import portal_url

    return portal_url(tenant)


def sha256_groups(digest: str) -> list[str]:
    """A hex digest in groups of eight characters, so that it can wrap on a narrow page."""
    return [digest[i : i + 8] for i in range(0, len(digest), 8)]


def receipt_pdf(tenant: Tenant, user: User, ack: Acknowledgement, portal_url: str) -> bytes:
    """The receipt as PDF bytes: xhtml2pdf renders the receipt template in the signer's language."""
    logo = None
    logo_key = (tenant.branding or {}).get("logo")
    if logo_key:
        data = storage().read(logo_key, tenant_id=tenant.id)
        if data is not None:
            mime = "image/png" if data[:4] == b"\x89PNG" else "image/jpeg"
            logo = f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"
    colours = brand_variables(get_theme(tenant.theme), tenant.branding or {})
    locale = person_locale(user.locale, tenant)
    with force_locale(locale):
        html = render_template(
            "policies/receipt_pdf.html",
            tenant=tenant,
            user=user,
            ack=ack,
            version=ack.version,
            policy=ack.version.policy,
            logo=logo,
            primary=colours["color-primary"],
            primary_text=colours["color-primary-text"],
            signed_at=utc_iso(ack.acknowledged_at),
            sha256_groups=sha256_groups(ack.content_sha256),
            portal_url=portal_url,
            locale=locale,
            rtl=locale in RTL_LOCALES,
        )
    return html_to_pdf(html)
