"""A certification's title and description can be translated (Admin → Translations)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.certifications.models import Certification
from app.multilingual.kinds import Kind, loader, portal_locale, register, titled, titled_fields


def register_kinds() -> None:
    """Tell the translation workspace about certifications."""
    register(
        Kind(
            "certification",
            _l("Certification"),
            (Certification,),
            lambda c: int(c.id),
            titled_fields,
            titled,
            lambda c: portal_locale(),
            lambda: select(Certification).order_by(Certification.title, Certification.id),
            loader(Certification),
        )
    )
