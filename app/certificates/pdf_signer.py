"""The pyHanko signer of certificate PDFs: the signed attributes that every document shares, built once.

A PAdES signature signs three attributes: the content type (always "data"), the digest of the document,
and the signing certificate (its hash, issuer and serial number: the key's, for every document).
pyHanko builds all three with asn1crypto for each signature, and building the signing-certificate
attribute from the parsed certificate took three quarters of the time of signing a certificate PDF.
This signer asks pyHanko for them once per key and settings, keeps the encoding of the two that do
not depend on the document, and puts them back around each document's digest: the same attributes,
byte for byte, in the same order.
"""

from __future__ import annotations

from typing import Any

from asn1crypto import cms
from pyhanko.sign import signers
from pyhanko.sign.general import simple_cms_attribute

# The attributes whose value depends only on the signer's certificate and the settings.
_DOCUMENT_INDEPENDENT = frozenset({"content_type", "signing_certificate_v2"})


class ReusingSigner(signers.SimpleSigner):
    """A SimpleSigner that encodes the document-independent signed attributes of a PAdES signature once."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._encoded: dict[tuple[str, str, bool], list[tuple[str, bytes]]] = {}

    async def signed_attrs(
        self,
        data_digest: bytes,
        digest_algorithm: str,
        attr_settings: Any = None,
        content_type: str = "data",
        use_pades: bool = False,
        timestamper: Any = None,
        dry_run: bool = False,
        is_pdf_sig: bool = True,
    ) -> cms.CMSAttributes:
        """The signed attributes for *data_digest*, as pyHanko makes them."""
        # Only PAdES without a timestamp or CAdES extras: there the attributes are the three above (a
        # signing time goes in the signature dictionary, not in an attribute).
        reusable = (
            use_pades
            and not dry_run
            and timestamper is None
            and getattr(attr_settings, "cades_signed_attrs", None) is None
            and getattr(attr_settings, "adobe_revinfo_attr", None) is None
        )
        key = (digest_algorithm, content_type, is_pdf_sig)
        encoded = self._encoded.get(key) if reusable else None
        if encoded is None:
            attributes = await super().signed_attrs(
                data_digest,
                digest_algorithm,
                attr_settings=attr_settings,
                content_type=content_type,
                use_pades=use_pades,
                timestamper=timestamper,
                dry_run=dry_run,
                is_pdf_sig=is_pdf_sig,
            )
            types = [attribute["type"].native for attribute in attributes]
            if (
                reusable
                and types.count("message_digest") == 1
                and set(types) - {"message_digest"} <= _DOCUMENT_INDEPENDENT
            ):
                self._encoded[key] = [(kind, a.dump()) for kind, a in zip(types, attributes, strict=True)]
            return attributes
        return cms.CMSAttributes(
            [
                simple_cms_attribute("message_digest", data_digest)
                if kind == "message_digest"
                else cms.CMSAttribute.load(der)
                for kind, der in encoded
            ]
        )
