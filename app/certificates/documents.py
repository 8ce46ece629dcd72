"""The certificate PDF: rendered from the (themable) template, signed with PAdES by the tenant's key."""

from __future__ import annotations

import base64
import hashlib
import io
import re
import warnings
from collections.abc import Callable
from typing import Any, TypeVar

from flask import render_template
from flask_babel import force_locale, format_date

from app.accounts.models import User
from app.certificates import keys, serials, titles
from app.certificates.models import Certificate, KeyPurpose
from app.locales import RTL_LOCALES, person_locale
from app.pdf import html_to_pdf
from app.storage import storage
from app.tenancy.models import Tenant
from app.tenancy.themes import available_themes, brand_variables, get_theme

T = TypeVar("T")
SIGNATURE_FIELD = "AtriumCertificateSignature"
# A serial as printed on a certificate (groups of four, then the check character).
_PRINTED_SERIAL = re.compile(r"\b([0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z*~$=])")


def verify_url(tenant: Tenant, serial: str) -> str:
    from app.tenancy.services import portal_url

    return portal_url(tenant, f"/verify/{serial}")


def _logo(tenant: Tenant) -> str | None:
    key = (tenant.branding or {}).get("logo")
    data = storage().read(key, tenant_id=tenant.id) if key else None
    if data is None:
        return None
    mime = "image/png" if data[:4] == b"\x89PNG" else "image/jpeg"
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"


# The QR code's size in the PDF: 6 pixels a module, with a quiet zone of 2 modules around it.
QR_SCALE, QR_BORDER = 6, 2
# A module of segno's matrix is 1 (dark) or 0 (light); as a greyscale pixel, black or white.
_QR_GREY = bytes([255, 0]) + bytes(254)


def _mask_rows_at_once() -> None:
    """Make segno apply a mask pattern a row at a time instead of a module at a time.

    To choose the most readable of the eight mask patterns, segno applies each to a copy of the symbol,
    calling two Python functions per module (is it data? does the pattern flip it?): two thirds of the
    QR code's time. Which modules a pattern flips depends only on the pattern and the symbol's size (its
    function patterns are fixed by its size), so each row's flips are worked out once, as an integer
    to XOR the row with; segno still applies all eight and keeps the same best one. Only the speed
    changes (tests/certificates/test_issue.py compares with segno's own).
    """
    from segno import encoder

    apply_mask = encoder.apply_mask
    if getattr(apply_mask, "original", None) is not None:
        return
    flips: dict[tuple[Any, int, int], tuple[int, ...]] = {}

    def apply_mask_by_rows(
        matrix: Any, mask_pattern: Any, width: int, height: int, is_encoding_region: Any
    ) -> None:
        # The patterns are plain functions that segno defines anew for each symbol: same code, same flips.
        key = (mask_pattern.__code__, width, height)
        rows = flips.get(key)
        if rows is None:
            rows = flips[key] = tuple(
                int.from_bytes(
                    bytes(bool(is_encoding_region(i, j) and mask_pattern(i, j)) for j in range(width)), "big"
                )
                for i in range(height)
            )
        for i, flip in enumerate(rows):
            if flip:
                matrix[i][:] = (int.from_bytes(matrix[i], "big") ^ flip).to_bytes(width, "big")

    apply_mask_by_rows.original = apply_mask  # type: ignore[attr-defined]
    encoder.apply_mask = apply_mask_by_rows


def qr_data_uri(url: str) -> str:
    """A QR code opening *url*, as a PNG data URI.

    segno chooses the symbol (version, and the most readable of the eight masks); Pillow draws and
    encodes it, the same pixels as segno's own PNG writer, which does it in pure Python in a third
    of the time the whole code takes.
    """
    import segno
    from PIL import Image, ImageOps

    _mask_rows_at_once()
    matrix = segno.make(url, error="m").matrix
    size = len(matrix)
    modules = Image.frombytes("L", (size, size), b"".join(bytes(row) for row in matrix).translate(_QR_GREY))
    side = (size + 2 * QR_BORDER) * QR_SCALE
    framed = ImageOps.expand(modules, border=QR_BORDER, fill=255)
    image = framed.resize((side, side), Image.Resampling.NEAREST)
    out = io.BytesIO()
    image.convert("1").save(out, "PNG")
    return f"data:image/png;base64,{base64.b64encode(out.getvalue()).decode('ascii')}"


def certificate_html(tenant: Tenant, holder: User | None, certificate: Certificate) -> str:
    """The certificate's HTML in the holder's language, from the tenant's theme or the app's template."""
    locale = person_locale(holder.locale if holder else None, tenant)
    colours = brand_variables(get_theme(tenant.theme), tenant.branding or {})
    theme = tenant.theme if tenant.theme in available_themes() else "default"
    url = verify_url(tenant, certificate.serial)
    # The title in the holder's language; the badge and the certificate's record keep the original.
    title = titles.displayed_title(certificate, tenant, holder)
    with force_locale(locale):
        return render_template(
            f"@{theme}/certificates/certificate.html",
            tenant=tenant,
            certificate=certificate,
            title=title,
            holder_name=certificate.holder_name,
            serial=serials.display(certificate.serial),
            awarded_on=format_date(certificate.awarded_at, "long"),
            expires_on=format_date(certificate.expires_at, "long") if certificate.expires_at else None,
            logo=_logo(tenant),
            primary=colours["color-primary"],
            primary_text=colours["color-primary-text"],
            qr=qr_data_uri(url),
            verify_url=url,
            locale=locale,
            rtl=locale in RTL_LOCALES,
        )


def _outside_event_loop(fn: Callable[[], T]) -> T:
    """Call *fn*, in a thread of its own if this one runs an asyncio loop: pyHanko's synchronous calls
    start their own loop with asyncio.run(), which cannot nest (a caller in async code, a browser test)."""
    import asyncio
    from concurrent.futures import ThreadPoolExecutor

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return fn()
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(fn).result()


# Room for the CMS signature in the PDF: an ES256 signature with its one self-signed certificate (whose
# names are capped at 64 characters) takes about 1.2 KB. Reserving a fixed amount spares pyHanko a dry-run
# signature per document to measure it; pyHanko refuses to sign if it ever does not fit.
SIGNATURE_BYTES_RESERVED = 8192
# The pyHanko signer of each key this worker has signed with, beside the key object it was built from.
_SIGNERS: dict[tuple[int, str], tuple[Any, str, Any]] = {}


def _signer(key: keys.LoadedKey) -> Any:
    """A pyHanko signer for *key*, built once per key and process (the key object itself is cached); it
    keeps the signed attributes that are the same for every document (app/certificates/pdf_signer.py)."""
    from asn1crypto import keys as asn1_keys
    from asn1crypto import x509 as asn1_x509
    from cryptography.hazmat.primitives import serialization
    from pyhanko_certvalidator.registry import SimpleCertificateStore

    from app.certificates.pdf_signer import ReusingSigner

    cache_key = (key.row.tenant_id, key.kid)
    cached = _SIGNERS.get(cache_key)
    if cached is not None and cached[0] is key.private_key and cached[1] == key.row.certificate_pem:
        return cached[2]
    certificate = asn1_x509.Certificate.load(key.certificate.public_bytes(serialization.Encoding.DER))
    private = asn1_keys.PrivateKeyInfo.load(
        key.private_key.private_bytes(
            serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    signer = ReusingSigner(
        signing_cert=certificate,
        signing_key=private,
        cert_registry=SimpleCertificateStore.from_certs([certificate]),
    )
    if len(_SIGNERS) >= 256:
        _SIGNERS.clear()
    _SIGNERS[cache_key] = (key.private_key, key.row.certificate_pem or "", signer)
    return signer


def sign_pdf(pdf: bytes, tenant: Tenant, serial: str) -> tuple[bytes, str]:
    """Sign *pdf* (PAdES B-B) with the tenant's active PDF key; return the signed bytes and the key id."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers

    key = keys.active_key(KeyPurpose.pdf)
    signer = _signer(key)
    meta = signers.PdfSignatureMetadata(
        field_name=SIGNATURE_FIELD,
        subfilter=fields.SigSeedSubFilter.PADES,
        md_algorithm="sha256",
        reason=f"Certificate {serials.display(serial)}",
        location=verify_url(tenant, serial),
        name=tenant.display_name,
    )
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
    signed = _outside_event_loop(
        lambda: signers.sign_pdf(writer, meta, signer=signer, bytes_reserved=SIGNATURE_BYTES_RESERVED)
    )
    return signed.getvalue(), key.kid


def render_signed_pdf(tenant: Tenant, holder: User | None, certificate: Certificate) -> tuple[bytes, str]:
    """The certificate as signed PDF bytes, and the id of the key that signed it."""
    return sign_pdf(html_to_pdf(certificate_html(tenant, holder, certificate)), tenant, certificate.serial)


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def printed_serial(pdf: bytes) -> str | None:
    """The serial printed in *pdf* (any PDF someone uploads), or None if it names none or cannot be read."""
    from pypdf import PdfReader

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            reader = PdfReader(io.BytesIO(pdf))
            text = "\n".join(page.extract_text() or "" for page in reader.pages[:2])
    # A hostile or broken file can fail the parser in many ways; every one means "names no serial".
    except Exception:
        return None
    match = _PRINTED_SERIAL.search(text)
    return serials.normalise(match.group(1)) if match else None


def signature_intact(pdf: bytes) -> bool:
    """Whether *pdf* carries a signature by one of the portal's PDF keys (retired ones too) over the whole,
    unchanged file."""
    from asn1crypto import pem
    from asn1crypto import x509 as asn1_x509
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    roots = []
    for row in keys.public_keys(KeyPurpose.pdf):
        if row.certificate_pem:
            _, _, der = pem.unarmor(row.certificate_pem.encode())
            roots.append(asn1_x509.Certificate.load(der))
    if not roots:
        return False
    context = ValidationContext(trust_roots=roots, allow_fetching=False)
    try:
        reader = PdfFileReader(io.BytesIO(pdf), strict=False)
        embedded = [s for s in reader.embedded_signatures if s.field_name == SIGNATURE_FIELD]
        if len(embedded) != 1:
            return False
        status: Any = _outside_event_loop(
            lambda: validate_pdf_signature(embedded[0], signer_validation_context=context)
        )
        return bool(
            status.intact and status.valid and status.trusted and status.coverage.name == "ENTIRE_FILE"
        )
    # A hostile or broken file can fail the parser in many ways; every one means "not our signed file".
    except Exception:
        return False
