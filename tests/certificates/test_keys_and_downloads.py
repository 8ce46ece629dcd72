"""Signing keys are encrypted at rest and rotate without breaking old certificates; holders download."""

from __future__ import annotations

import io
import json

from flask import Flask
from sqlalchemy import select

from app.certificates import keys, serials
from app.certificates.models import Certificate, KeyPurpose, SigningKey
from app.certificates.services import certificates_for_records
from app.storage import storage
from app.tenancy import as_tenant
from tests.certificates.helpers import award, award_payload, emit
from tests.conftest import csrf_token


def _pdf(app, tenant, certificate) -> bytes:
    with app.app_context():
        data = storage().read(certificate.pdf_key, tenant_id=tenant.id)
    assert data is not None
    return data


def _upload_verdict(client, data: bytes) -> str:
    token = csrf_token(client, "/verify")
    body = client.post(
        "/verify/upload",
        data={"csrf_token": token, "document": (io.BytesIO(data), "c.pdf")},
        content_type="multipart/form-data",
    ).get_data(as_text=True)
    return next(word for word in ("Genuine", "Altered", "Unknown") if f"<h2>{word}:" in body)


def test_the_private_key_is_stored_encrypted_and_only_the_configured_secret_opens_it(
    app, db, tenant_factory, user_factory
):
    tenant = tenant_factory()
    award(db, tenant, user_factory(tenant))
    with as_tenant(tenant):
        row = db.session.scalars(select(SigningKey).where(SigningKey.purpose == KeyPurpose.pdf)).one()
        blob = row.private_key_encrypted
        assert blob is not None and b"PRIVATE KEY" not in blob
        assert keys.load(row).kid == row.kid
        other = Flask("other")
        other.config["SECRET_KEY"] = "another-secret"
        with other.app_context():
            try:
                keys.decrypt_private_key(blob, tenant_id=row.tenant_id, purpose=row.purpose, kid=row.kid)
            except keys.SigningKeyError:
                pass
            else:
                raise AssertionError("another secret decrypted the key")
        # A key copied to another row (another tenant) does not decrypt either.
        try:
            keys.decrypt_private_key(blob, tenant_id=row.tenant_id + 1, purpose=row.purpose, kid=row.kid)
        except keys.SigningKeyError:
            pass
        else:
            raise AssertionError("the key decrypted for another tenant")


def test_a_key_this_worker_already_used_still_opens_only_with_the_configured_secret(
    app, db, tenant_factory, user_factory
):
    tenant = tenant_factory()
    award(db, tenant, user_factory(tenant))  # the worker has now decrypted (and keeps) the key
    with as_tenant(tenant):
        row = db.session.scalars(select(SigningKey).where(SigningKey.purpose == KeyPurpose.pdf)).one()
        assert keys.load(row).kid == row.kid
        other = Flask("other")
        other.config["SECRET_KEY"] = "another-secret"
        with other.app_context():
            try:
                keys.load(row)
            except keys.SigningKeyError:
                pass
            else:
                raise AssertionError("another secret opened a key the worker had already decrypted")


def test_rotating_the_key_signs_new_certificates_with_the_new_key_and_old_ones_still_verify(
    app, db, tenant_factory, user_factory, client_for
):
    tenant = tenant_factory(display_name="Bistro Group")
    learner = user_factory(tenant, full_name="Lee Learner")
    before = award(db, tenant, learner)
    result = app.test_cli_runner().invoke(args=["certificates", "rotate-key", tenant.slug])
    assert result.exit_code == 0, result.output
    assert f"retired {before.pdf_kid}" in result.output
    after = award(db, tenant, learner)
    assert after.pdf_kid != before.pdf_kid
    with as_tenant(tenant):
        retired = db.session.scalars(select(SigningKey).where(SigningKey.kid == before.pdf_kid)).one()
        assert retired.retired_at is not None and retired.private_key_encrypted is None
        assert retired.certificate_pem  # the public part stays
    client = client_for(tenant)
    assert _upload_verdict(client, _pdf(app, tenant, before)) == "Genuine"
    assert _upload_verdict(client, _pdf(app, tenant, after)) == "Genuine"


def test_rotate_key_names_an_unknown_portal(app, db):
    result = app.test_cli_runner().invoke(args=["certificates", "rotate-key", "no-such-portal"])
    assert result.exit_code != 0 and "no portal 'no-such-portal'" in result.output


def test_the_holder_and_an_admin_download_the_pdf_and_nobody_else(
    app, db, tenant_factory, user_factory, client_for
):
    tenant = tenant_factory()
    learner = user_factory(tenant, full_name="Lee Learner")
    colleague = user_factory(tenant)
    admin = user_factory(tenant, roles=("tenant_admin", "learner"))
    certificate = award(db, tenant, learner)
    path = f"/certificates/{certificate.serial}/certificate.pdf"
    response = client_for(tenant, learner).get(path)
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.data == _pdf(app, tenant, certificate)
    assert serials.display(certificate.serial) in response.headers["Content-Disposition"]
    assert client_for(tenant, admin).get(path).status_code == 200
    assert client_for(tenant, colleague).get(path).status_code == 404
    assert client_for(tenant).get(path).status_code == 404
    other = tenant_factory()
    outsider = user_factory(other, roles=("tenant_admin", "learner"))
    assert client_for(other, outsider).get(path).status_code == 404


def test_certificates_for_records_gives_the_latest_cycle_of_each_record_in_one_statement(
    db, tenant_factory, user_factory, count_queries
):
    tenant = tenant_factory()
    learner = user_factory(tenant)
    first = award_payload(learner, record_id=501, cycle=1)
    emit(db, tenant, "certification.awarded", first)
    emit(db, tenant, "certification.renewed", {**first, "cycle": 2})
    emit(db, tenant, "certification.awarded", award_payload(learner, record_id=502))
    with as_tenant(tenant):
        db.session.expire_all()
        with count_queries() as counter:
            found = certificates_for_records([501, 502, 503])
        assert counter.count == 1
        assert sorted(found) == [501, 502]
        assert found[501].cycle == 2 and isinstance(found[501], Certificate)
        assert certificates_for_records([]) == {}


def test_the_badge_download_is_json_for_the_holder_only(app, db, tenant_factory, user_factory, client_for):
    tenant = tenant_factory()
    learner = user_factory(tenant)
    certificate = award(db, tenant, learner)
    path = f"/certificates/{certificate.serial}/badge.json"
    response = client_for(tenant, learner).get(path)
    assert response.status_code == 200
    assert "OpenBadgeCredential" in json.loads(response.data)["type"]
    assert client_for(tenant, user_factory(tenant)).get(path).status_code == 404
