"""A policy receipt shows an Arabic name in a font that has its letters, and it reads in the right order."""

from __future__ import annotations

import io
import unicodedata

from pypdf import PdfReader

from app.policies import services as policies
from app.policies.jobs import render_receipt
from app.policies.models import PolicyReceipt
from app.storage import storage
from app.tenancy import as_tenant


def test_an_arabic_signers_receipt_has_their_name_in_reading_order(app, db, tenant_factory, user_factory):
    tenant = tenant_factory(enabled_locales=["en", "ar"], default_locale="ar")
    signer = user_factory(tenant, full_name="ليلى حداد", locale="ar")
    with as_tenant(tenant):
        policy = policies.create_policy("مدونة السلوك", due_days=14)
        version = policies.publish_version(policies.save_draft(policy, "## الاحترام\n\nكن لطيفا."))
        ack = policies.acknowledge_policy(
            db.session.merge(signer), version, "ليلى حداد", accepted=True, ip="10.1.2.3", user_agent="UA/9"
        )
        receipt = db.session.get(PolicyReceipt, render_receipt(ack.id))
        data = storage().read(receipt.storage_key, tenant_id=tenant.id)
        db.session.rollback()
    text = unicodedata.normalize(
        "NFKC", "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages)
    )
    assert "ليلى حداد" in text
    assert "مدونة السلوك" in text
    assert "■" not in text
