"""A certificate's certification title in its holder's language: only the words shown are translated."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from app.accounts.models import User
from app.certificates.models import Certificate
from app.extensions import db
from app.multilingual import kinds, reading


@dataclass(frozen=True)
class DisplayedTitle:
    """A certificate's certification title as its holder reads it, and the language it is in."""

    text: str
    locale: str | None  # None: the title as recorded on the certificate (the original)


def displayed_title(certificate: Certificate, tenant: Any, holder: User | None = None) -> DisplayedTitle:
    """The certificate's title in its holder's language when the certification is translated.

    The certificate records the certification's title when it was awarded, and its signed badge keeps
    that original; only the words shown are translated. A translation is shown only while it follows
    the title the certificate records (a certification renamed since then keeps the recorded title).
    """
    from flask_babel import force_locale

    from app.locales import person_locale

    # The certification as the registry of translatable kinds loads it (app.certifications registers it).
    kind = kinds.kind_named("certification")
    certification = kind.load(certificate.certification_id) if kind is not None else None
    if certification is None or certification.title != certificate.title:
        return DisplayedTitle(certificate.title, None)
    if holder is None:
        holder = db.session.get(User, certificate.user_id)
    with force_locale(person_locale(holder.locale if holder else None, tenant)):
        shown = reading.reader().shown(certification, "title")
    if not shown.translated:
        return DisplayedTitle(certificate.title, None)
    return DisplayedTitle(shown.text, shown.locale)
