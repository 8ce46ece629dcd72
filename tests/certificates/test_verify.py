"""Anyone can check a certificate on the portal's verify page, by serial or by uploading the PDF."""

from __future__ import annotations

import io
import re
from datetime import timedelta
from typing import Any

from app.certificates import serials
from app.storage import storage
from app.tenancy.models import utcnow
from tests.certificates.helpers import award, award_payload, certificate_of, emit
from tests.certificates.test_issue import _edit_one_byte_of_the_name
from tests.conftest import csrf_token


def _pdf(app, tenant, certificate) -> bytes:
    with app.app_context():
        data = storage().read(certificate.pdf_key, tenant_id=tenant.id)
    assert data is not None
    return data


def _upload(client, data: bytes, name: str = "certificate.pdf"):
    token = csrf_token(client, "/verify")
    return client.post(
        "/verify/upload",
        data={"csrf_token": token, "document": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
    )


def test_the_verify_page_shows_a_valid_certificate_without_signing_in(
    db, tenant_factory, user_factory, client_for
):
    tenant = tenant_factory(display_name="Bistro Group")
    learner = user_factory(tenant, full_name="Lee Learner", email="lee@bistro.example")
    certificate = award(db, tenant, learner, title="Food Handler")
    page = client_for(tenant).get(f"/verify/{certificate.serial}")
    body = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Valid" in body and "Lee Learner" in body and "Food Handler" in body
    assert serials.display(certificate.serial) in body
    assert "lee@bistro.example" not in body  # no personal data beyond the name


def test_a_serial_typed_in_lower_case_with_spaces_finds_the_certificate(
    db, tenant_factory, user_factory, client_for
):
    tenant = tenant_factory()
    certificate = award(db, tenant, user_factory(tenant, full_name="Lee Learner"))
    client = client_for(tenant)
    typed = serials.display(certificate.serial).lower().replace("-", " ")
    response = client.post("/verify", data={"csrf_token": csrf_token(client, "/verify"), "serial": typed})
    assert response.status_code == 302 and response.headers["Location"].endswith(
        f"/verify/{certificate.serial}"
    )


def test_a_typo_in_a_serial_is_unknown_not_an_error(db, tenant_factory, user_factory, client_for):
    tenant = tenant_factory()
    certificate = award(db, tenant, user_factory(tenant))
    body = certificate.serial
    typo = ("1" if body[0] != "1" else "2") + body[1:]
    for serial in (typo, "nonsense", "A" * 40):
        page = client_for(tenant).get(f"/verify/{serial}")
        assert page.status_code == 404
        assert "Unknown" in page.get_data(as_text=True)


def test_an_unknown_serial_stays_in_the_box_to_be_corrected(db, tenant_factory, client_for):
    client = client_for(tenant_factory())
    typed = "7ZK3-QH0M-V9XA-R2TD-X"
    page = client.post("/verify", data={"csrf_token": csrf_token(client, "/verify"), "serial": typed})
    body = page.get_data(as_text=True)
    assert page.status_code == 404 and "Unknown" in body
    box = re.search(r'<input[^>]*name="serial"[^>]*>', body)
    assert box is not None and f'value="{typed}"' in box.group(0)


def test_another_portals_serial_looks_exactly_like_an_unknown_one(
    db, tenant_factory, user_factory, client_for
):
    home, other = tenant_factory(display_name="Home"), tenant_factory(display_name="Other")
    foreign = award(db, other, user_factory(other, full_name="Fran Foreign"))
    never = serials.new_serial()
    client = client_for(home)
    a, b = client.get(f"/verify/{foreign.serial}"), client.get(f"/verify/{never}")
    assert a.status_code == b.status_code == 404
    assert "Fran Foreign" not in a.get_data(as_text=True)

    # The typed serial is echoed back, and the CSRF tokens (forms' and the page's) carry the second they were
    # made in, so two requests a second apart differ there; the rest of the page must be identical.
    def page(response: Any, serial: str) -> str:
        body = response.get_data(as_text=True).replace(serial, "S")
        body = re.sub(r'name="csrf-token" content="[^"]+"', "csrf", body)  # the layout's, for htmx
        return re.sub(r'name="csrf_token" value="[^"]+"', "csrf", body)

    assert page(a, foreign.serial) == page(b, never)


def test_revocation_shows_on_the_verify_page_with_its_reason_and_reinstatement_clears_it(
    db, tenant_factory, user_factory, client_for
):
    tenant = tenant_factory()
    learner = user_factory(tenant, full_name="Lee Learner")
    payload = award_payload(learner)
    emit(db, tenant, "certification.awarded", payload)
    certificate = certificate_of(db, tenant, payload["record_id"])
    emit(db, tenant, "certification.revoked", {**payload, "reason": "Exam taken by someone else"})
    body = client_for(tenant).get(f"/verify/{certificate.serial}").get_data(as_text=True)
    assert "Revoked" in body and "Exam taken by someone else" in body
    emit(db, tenant, "certification.reinstated", {**payload, "reason": None})
    body = client_for(tenant).get(f"/verify/{certificate.serial}").get_data(as_text=True)
    assert "Revoked" not in body and "Valid" in body


def test_expiring_and_expired_follow_the_dates(db, tenant_factory, user_factory, client_for):
    tenant = tenant_factory()
    learner = user_factory(tenant)
    now = utcnow()
    soon = award(
        db, tenant, learner, awarded_at=now - timedelta(days=700), expires_at=now + timedelta(days=7)
    )
    gone = award(
        db, tenant, learner, awarded_at=now - timedelta(days=800), expires_at=now - timedelta(days=1)
    )
    client = client_for(tenant)
    assert "Valid, expiring soon" in client.get(f"/verify/{soon.serial}").get_data(as_text=True)
    assert "Expired" in client.get(f"/verify/{gone.serial}").get_data(as_text=True)


def test_an_uploaded_pdf_is_genuine_altered_or_unknown(app, db, tenant_factory, user_factory, client_for):
    tenant = tenant_factory(display_name="Bistro Group")
    learner = user_factory(tenant, full_name="Lee Learner")
    certificate = award(db, tenant, learner)
    pdf = _pdf(app, tenant, certificate)
    client = client_for(tenant)

    genuine = _upload(client, pdf).get_data(as_text=True)
    assert "Genuine" in genuine and "Lee Learner" in genuine

    altered = _upload(client, _edit_one_byte_of_the_name(pdf)).get_data(as_text=True)
    assert "Altered" in altered and "Genuine" not in altered
    assert "Lee Learner" in altered  # the issued certificate's real details

    one_byte = bytearray(pdf)
    position = pdf.index(b"/Reason")
    one_byte[position + 12] ^= 0x01  # inside the signed part, keeping the file readable
    assert "Altered" in _upload(client, bytes(one_byte)).get_data(as_text=True)

    other = tenant_factory()
    foreign_pdf = _pdf(app, other, award(db, other, user_factory(other, full_name="Fran Foreign")))
    unknown = _upload(client, foreign_pdf).get_data(as_text=True)
    assert "Unknown" in unknown and "Fran Foreign" not in unknown


def test_an_upload_that_is_not_a_pdf_or_too_large_is_refused_with_a_message(db, tenant_factory, client_for):
    tenant = tenant_factory()
    client = client_for(tenant)
    response = _upload(client, b"hello", "x.pdf")
    assert response.status_code == 400 and "This file is not a PDF." in response.get_data(as_text=True)
    # The body is built here: the test client would spool a body this large to a file it never closes.
    boundary = "certificate-upload-boundary"
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\n'
            f"{csrf_token(client, '/verify')}\r\n"
            f'--{boundary}\r\nContent-Disposition: form-data; name="document"; filename="big.pdf"\r\n'
            "Content-Type: application/pdf\r\n\r\n"
        ).encode()
        + b"%PDF-1.7\n"
        + b"0" * (5 * 1024 * 1024 + 1)
        + f"\r\n--{boundary}--\r\n".encode()
    )
    response = client.post(
        "/verify/upload", data=body, content_type=f"multipart/form-data; boundary={boundary}"
    )
    assert response.status_code == 413
    assert "larger than 5 MB" in response.get_data(as_text=True)


def test_the_upload_form_needs_its_csrf_token(db, tenant_factory, client_for):
    tenant = tenant_factory()
    response = client_for(tenant).post(
        "/verify/upload",
        data={"document": (io.BytesIO(b"%PDF-1.7"), "c.pdf")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
