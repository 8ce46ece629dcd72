"""A policy read in the reader's language is signed as read: its language and the hash of that very text."""

from __future__ import annotations

import csv
import hashlib
import io
import re
import unicodedata
from typing import Any

from pypdf import PdfReader
from sqlalchemy import select

from app.audit.models import AuditEvent
from app.multilingual import services as translations
from app.multilingual.kinds import kind_named
from app.multilingual.models import ContentTranslation
from app.policies import services as policies
from app.policies.jobs import render_receipt
from app.policies.models import Acknowledgement, PolicyReceipt, PolicyVersion
from app.storage import storage
from app.tenancy import as_tenant
from tests.conftest import csrf_token

ENGLISH = "## Respect\n\nBe kind to **everyone**."
SPANISH = "## Respeto\n\nSé amable con **todos**."


def _portal(db: Any, tenant_factory: Any) -> tuple[Any, int, int]:
    tenant = tenant_factory(enabled_locales=["en", "es", "fr"], default_locale="en")
    with as_tenant(tenant):
        policy = policies.create_policy("Code of Conduct", due_days=14)
        version = policies.publish_version(policies.save_draft(policy, ENGLISH))
        translations.save_translation(kind_named("policy"), policy, "es", {"title": "Código de conducta"})
        translations.save_translation(kind_named("policy_version"), version, "es", {"body": SPANISH})
        db.session.commit()
        return tenant, policy.id, version.id


def _shown_hash(page: str) -> str:
    match = re.search(r'name="content_sha256" type="hidden" value="([0-9a-f]{64})"', page) or re.search(
        r'<input[^>]*value="([0-9a-f]{64})"[^>]*name="content_sha256"', page
    )
    assert match, "the accept form carries no hash of the text shown"
    return match.group(1)


def _sign(client: Any, url: str, name: str, shown: str | None) -> Any:
    data = {"csrf_token": csrf_token(client, url), "accept": "y", "signature": name}
    if shown is not None:
        data["content_sha256"] = shown
    return client.post(url, data=data)


def _spanish_html(db: Any, version_id: int) -> str:
    row = db.session.scalars(
        select(ContentTranslation).where(
            ContentTranslation.kind == "policy_version",
            ContentTranslation.item_id == version_id,
            ContentTranslation.locale == "es",
        )
    ).one()
    return str(row.html["body"])


def test_a_policy_signed_in_spanish_records_the_spanish_versions_hash(
    app, db, tenant_factory, user_factory, client_for
):
    tenant, policy_id, version_id = _portal(db, tenant_factory)
    learner = user_factory(tenant, full_name="Lucía Ruiz", locale="es")
    client = client_for(tenant, learner)
    url = f"/policies/{policy_id}"
    assert "Código de conducta" in client.get("/").get_data(as_text=True)  # My learning: to accept
    page = client.get(url).get_data(as_text=True)
    assert "Código de conducta" in page and "Sé amable con <strong>todos</strong>" in page
    assert "Be kind" not in page  # the Spanish text, not the English beside it
    assert re.search(r'<article[^>]*lang="es"[^>]*dir="ltr"', page)
    shown = _shown_hash(page)

    done = _sign(client, url, "Lucía Ruiz", shown)
    assert done.status_code == 302
    with as_tenant(tenant):
        version = db.session.get(PolicyVersion, version_id)
        spanish_html = _spanish_html(db, version_id)
        ack = db.session.scalars(select(Acknowledgement)).one()
        assert ack.locale == "es"
        assert ack.content_sha256 == hashlib.sha256(spanish_html.encode("utf-8")).hexdigest() == shown
        assert ack.content_sha256 != version.sha256  # the version's own hash stays the original's
        audit = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "policy.acknowledged")).one()
        assert audit.after["locale"] == "es" and audit.after["content_sha256"] == shown
        assert policies.verify_acknowledgements(tenant.id) is None

        receipt = db.session.get(PolicyReceipt, render_receipt(ack.id))
        data = storage().read(receipt.storage_key, tenant_id=tenant.id)
        records = {row["acknowledgement_id"]: row for row in _report(version)}
        ack_id = ack.id
        db.session.rollback()
    text = unicodedata.normalize(
        "NFKC", "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages)
    )
    assert "Código de conducta" in text  # the title as the signer read it
    assert "español" in text  # which text was signed, named in the signer's language
    assert "".join(text.split()).find(shown) >= 0  # the Spanish text's hash, not the original's
    row = records[str(ack_id)]
    assert row["content_locale"] == "es" and row["content_sha256"] == shown

    accepted = client.get(url).get_data(as_text=True)
    assert shown in accepted and "español" in accepted


def _report(version: PolicyVersion) -> list[dict[str, str]]:
    from app.policies.reports import report_records

    records = report_records(version)
    buffer = io.StringIO()
    csv.writer(buffer).writerows(records)
    return list(csv.DictReader(io.StringIO(buffer.getvalue())))


def test_a_translation_changed_while_reading_refuses_the_signature(
    app, db, tenant_factory, user_factory, client_for
):
    tenant, policy_id, version_id = _portal(db, tenant_factory)
    learner = user_factory(tenant, full_name="Lucía Ruiz", locale="es")
    client = client_for(tenant, learner)
    url = f"/policies/{policy_id}"
    read = _shown_hash(client.get(url).get_data(as_text=True))
    with as_tenant(tenant):  # a translator corrects the Spanish text meanwhile
        version = db.session.get(PolicyVersion, version_id)
        translations.save_translation(
            kind_named("policy_version"), version, "es", {"body": SPANISH + "\n\nY puntual."}
        )
        db.session.commit()

    refused = _sign(client, url, "Lucía Ruiz", read)
    assert refused.status_code == 422
    body = refused.get_data(as_text=True)
    assert "ha cambiado mientras lo leías" in body  # the Spanish reader is told in Spanish
    assert "Y puntual." in body  # the page now shows the new text to read …
    new = _shown_hash(body)  # … and the form carries its hash
    assert new != read
    with as_tenant(tenant):
        assert db.session.scalars(select(Acknowledgement)).first() is None

    assert _sign(client, url, "Lucía Ruiz", "not-a-hash").status_code == 422  # nor any other text
    done = _sign(client, url, "Lucía Ruiz", new)
    assert done.status_code == 302
    with as_tenant(tenant):
        ack = db.session.scalars(select(Acknowledgement)).one()
        assert (ack.locale, ack.content_sha256) == ("es", new)
        assert new == hashlib.sha256(_spanish_html(db, version_id).encode("utf-8")).hexdigest()


def test_signing_the_original_records_no_language_and_the_versions_hash(
    app, db, tenant_factory, user_factory, client_for
):
    tenant, policy_id, version_id = _portal(db, tenant_factory)
    english = user_factory(tenant, full_name="Eve English", locale="en")
    french = user_factory(tenant, full_name="Fleur French", locale="fr")
    url = f"/policies/{policy_id}"

    client = client_for(tenant, english)
    page = client.get(url).get_data(as_text=True)
    assert "Code of Conduct" in page and "Be kind to <strong>everyone</strong>" in page
    assert 'role="note"' not in page  # the original, in the reader's language: nothing to say
    assert _sign(client, url, "Eve English", _shown_hash(page)).status_code == 302

    # No French translation: the original, with a note saying so; signing it is signing the original.
    client = client_for(tenant, french)
    page = client.get(url).get_data(as_text=True)
    assert "Be kind to <strong>everyone</strong>" in page and 'role="note"' in page
    assert re.search(r'<article[^>]*lang="en"', page)
    assert _sign(client, url, "Fleur French", None).status_code == 302  # a form without the hash: as shown

    with as_tenant(tenant):
        version = db.session.get(PolicyVersion, version_id)
        acks = db.session.scalars(select(Acknowledgement).order_by(Acknowledgement.id)).all()
        assert [(a.locale, a.content_sha256) for a in acks] == [(None, version.sha256)] * 2
        audits = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "policy.acknowledged")
        ).all()
        assert all("locale" not in event.after for event in audits)  # recorded exactly as before
        assert policies.verify_acknowledgements(tenant.id) is None
        # A language changed afterwards (the table refuses updates on PostgreSQL) would not match the log.
        recorded = {str(event.target_id): event.after for event in audits}
        acks[0].locale = "es"
        assert policies.acknowledgement_record(acks[0]) != recorded[str(acks[0].id)]
        db.session.rollback()
