"""An award gives the holder one signed certificate PDF, in their language, that pdfsig accepts."""

from __future__ import annotations

import io
import shutil
import subprocess
import unicodedata

from pypdf import PdfReader
from sqlalchemy import func, select

from app.certificates import serials
from app.certificates.models import Certificate
from app.storage import storage
from app.tenancy import as_tenant
from tests.certificates.helpers import award, award_payload, certificate_of, emit


def _pdf(app, tenant, certificate) -> bytes:
    with app.app_context():
        data = storage().read(certificate.pdf_key, tenant_id=tenant.id)
    assert data is not None
    return data


def _text(pdf: bytes) -> str:
    return unicodedata.normalize(
        "NFKC", "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
    )


def test_an_award_issues_a_certificate_naming_the_holder_the_certification_and_the_portal(
    app, db, tenant_factory, user_factory
):
    tenant = tenant_factory(display_name="Bistro Group", branding={"primary": "#7c2d12"})
    learner = user_factory(tenant, full_name="Lee Learner")
    certificate = award(db, tenant, learner, title="Food Handler")
    assert certificate.pdf_sha256 and certificate.serial == serials.normalise(certificate.serial)
    pdf = _pdf(app, tenant, certificate)
    text = _text(pdf)
    assert "Lee Learner" in text and "Food Handler" in text and "Bistro Group" in text
    assert serials.display(certificate.serial) in text
    assert f"/verify/{certificate.serial}" in text


def test_the_qr_code_on_the_certificate_is_the_symbol_of_its_verify_link(
    app, db, tenant_factory, user_factory
):
    """The image in the PDF is, pixel for pixel, the QR code segno makes of the verify page's address."""
    import segno
    from PIL import Image

    from app.certificates.documents import QR_BORDER, QR_SCALE, verify_url

    tenant = tenant_factory()
    certificate = award(db, tenant, user_factory(tenant))
    with app.app_context():
        url = verify_url(db.session.merge(tenant), certificate.serial)
    expected = io.BytesIO()
    segno.make(url, error="m").save(expected, kind="png", scale=QR_SCALE, border=QR_BORDER)
    wanted = Image.open(expected).convert("L")
    page = PdfReader(io.BytesIO(_pdf(app, tenant, certificate))).pages[0]
    images = [i.image.convert("L") for i in page.images]
    assert any(i.size == wanted.size and i.tobytes() == wanted.tobytes() for i in images), (
        f"no image of the PDF is the QR code of {url}: sizes {[i.size for i in images]}"
    )


def test_the_qr_code_picks_the_same_mask_and_modules_as_segno_itself(monkeypatch):
    """Certificates apply segno's mask patterns a row at a time; the symbols must be segno's own."""
    import segno
    from segno import encoder

    from app.certificates.documents import qr_data_uri

    qr_data_uri("https://bistro.atrium.test/verify/1")  # puts the row-at-a-time masking in place
    assert encoder.apply_mask.original is not None
    addresses = [f"https://p{n}.atrium.test/verify/{'7QX3' * (n % 9)}{n}" for n in range(60)] + ["1", "ليلى"]
    by_rows = [segno.make(address, error="m") for address in addresses]
    monkeypatch.setattr(encoder, "apply_mask", encoder.apply_mask.original)
    for address, symbol in zip(addresses, by_rows, strict=True):
        own = segno.make(address, error="m")
        assert (symbol.version, symbol.mask, symbol.matrix) == (own.version, own.mask, own.matrix), address
    assert len({symbol.mask for symbol in by_rows}) > 4  # the addresses exercise most of the patterns


def test_replaying_the_award_event_keeps_one_certificate(db, tenant_factory, user_factory):
    tenant = tenant_factory()
    learner = user_factory(tenant)
    payload = award_payload(learner)
    emit(db, tenant, "certification.awarded", payload)
    first = certificate_of(db, tenant, payload["record_id"])
    emit(db, tenant, "certification.awarded", payload)
    with as_tenant(tenant):
        count = db.session.scalar(select(func.count(Certificate.id)))
    assert count == 1
    assert certificate_of(db, tenant, payload["record_id"]).serial == first.serial


def test_an_arabic_name_is_extracted_from_the_pdf_in_reading_order(app, db, tenant_factory, user_factory):
    tenant = tenant_factory(enabled_locales=["en", "ar"], default_locale="ar")
    learner = user_factory(tenant, full_name="ليلى حداد", locale="ar")
    certificate = award(db, tenant, learner, title="شهادة سلامة الغذاء")
    text = _text(_pdf(app, tenant, certificate))
    assert "ليلى حداد" in text
    assert "شهادة سلامة الغذاء" in text
    assert "■" not in text


def test_pdfsig_says_the_signature_is_valid_and_not_after_one_byte_of_the_name_changes(
    app, db, tenant_factory, user_factory, tmp_path
):
    assert shutil.which("pdfsig"), "poppler-utils is missing: run scripts/ensure-system-packages"
    tenant = tenant_factory(display_name="Bistro Group")
    learner = user_factory(tenant, full_name="Lee Learner")
    pdf = _pdf(app, tenant, award(db, tenant, learner))
    signed = tmp_path / "certificate.pdf"
    signed.write_bytes(pdf)
    report = subprocess.run(["pdfsig", str(signed)], capture_output=True, text=True, check=False).stdout
    assert "Signature is Valid." in report, report
    assert "Bistro Group" in report

    # The name is drawn from the subset font's codes: change one byte of the text drawing it.
    edited = tmp_path / "edited.pdf"
    edited.write_bytes(_edit_one_byte_of_the_name(pdf))
    assert "Lee Learner" not in _text(edited.read_bytes())
    report = subprocess.run(["pdfsig", str(edited)], capture_output=True, text=True, check=False).stdout
    assert "Signature is Valid." not in report and "Digest Mismatch" in report, report


def test_every_certificate_a_portal_signs_is_valid_not_only_the_first(
    app, db, tenant_factory, user_factory, tmp_path
):
    """A worker keeps what a portal's signatures share: its second and third PDFs verify as its first."""
    from app.certificates.documents import signature_intact

    tenant = tenant_factory(display_name="Bistro Group")
    for name in ("Lee Learner", "Ana Alves", "Sam Smith"):
        pdf = _pdf(app, tenant, award(db, tenant, user_factory(tenant, full_name=name)))
        signed = tmp_path / "certificate.pdf"
        signed.write_bytes(pdf)
        report = subprocess.run(["pdfsig", str(signed)], capture_output=True, text=True, check=False).stdout
        assert "Signature is Valid." in report and "Total document signed" in report, (name, report)
        with as_tenant(tenant):
            assert signature_intact(pdf), name
            assert not signature_intact(_edit_one_byte_of_the_name(pdf, name.encode())), name


def _edit_one_byte_of_the_name(pdf: bytes, name: bytes = b"Lee Learner") -> bytes:
    """What a PDF editor does to "Lee Learner": one letter of the page's text changed, the file saved."""
    from pypdf import PdfWriter
    from pypdf.generic import NameObject, StreamObject

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf)))
    page = writer.pages[0]
    content = page.get_contents()
    assert content is not None
    data = content.get_data()
    assert data.count(name) == 1
    edited = StreamObject()
    edited.set_data(data.replace(name, name[:2] + bytes([name[2] ^ 0x04]) + name[3:]))
    page[NameObject("/Contents")] = writer._add_object(edited)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def test_a_theme_restyles_the_certificate_and_other_themes_keep_the_default(
    app, db, tenant_factory, user_factory
):
    from app.certificates.documents import certificate_html

    warm, plain = tenant_factory(theme="warm"), tenant_factory(theme="default")
    for tenant, framed in ((warm, True), (plain, False)):
        learner = user_factory(tenant, full_name="Lee Learner")
        certificate = award(db, tenant, learner)
        with as_tenant(tenant), app.test_request_context():
            html = certificate_html(db.session.merge(tenant), None, db.session.merge(certificate))
        assert ("4pt double" in html) is framed
        assert "Lee Learner" in html


def test_the_warm_theme_frames_the_page_once_not_every_line(app, db, tenant_factory, user_factory):
    """xhtml2pdf draws a bordered body's frame around each paragraph; the frame must be drawn once."""
    tenant = tenant_factory(theme="warm")
    pdf = _pdf(app, tenant, award(db, tenant, user_factory(tenant, full_name="Lee Learner")))
    content = PdfReader(io.BytesIO(pdf)).pages[0].get_contents()
    assert content is not None
    strokes = content.get_data().count(b" RG")  # each bordered box sets its stroke colour
    assert strokes <= 2, f"{strokes} framed boxes: every line of the certificate has its own frame"
    assert "Lee Learner" in _text(pdf)
