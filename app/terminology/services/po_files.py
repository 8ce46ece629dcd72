"""The portal's overrides exchanged with translators' tools (Poedit, Lokalize, Weblate) as PO files."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from io import BytesIO

from babel.messages.pofile import PoFileError, read_po, write_po
from flask_babel import gettext as _

from app import audit
from app.accounts.models import User
from app.errors import ValidationError
from app.extensions import db
from app.tenancy.models import Tenant, utcnow
from app.terminology import catalogs
from app.terminology.catalogs import ShippedMessage, plural_forms, shipped_message
from app.terminology.models import MessageOverride
from app.terminology.services.wording import check_locale, overrides_for, shipped_texts, validate_texts


def export_po(tenant: Tenant, locale: str) -> bytes:
    """The portal's overrides in *locale* as a PO file, for Poedit, Lokalize or Weblate."""
    check_locale(locale)
    catalog = catalogs.new_catalog(
        locale,
        project=f"Atrium terminology of {tenant.display_name}",
        header_comment=(
            f"# Terminology of {tenant.display_name} ({tenant.slug}) in {locale}.\n"
            "# Each entry overrides one interface message for this portal only.\n"
            "# Import it back at Admin → Terminology once translated."
        ),
        creation_date=datetime.now(UTC),
        revision_date=datetime.now(UTC),
        fuzzy=False,
    )
    for (msgid, context), override in sorted(overrides_for(locale).items()):
        message = shipped_message(msgid, context)
        flags = ["python-format"] if message is not None and message.python_format else []
        if override.msgid_plural is None:
            catalog.add(msgid, override.translations[0], context=context or None, flags=flags)
        else:
            catalog.add(
                (msgid, override.msgid_plural),
                tuple(override.translations),
                context=context or None,
                flags=flags,
            )
    buffer = BytesIO()
    write_po(buffer, catalog, width=0, omit_header=False)
    return buffer.getvalue()


@dataclass
class ImportReport:
    """What an import did, or why it did nothing: each refused entry with its line."""

    refused: list[tuple[int, str, str]] = field(default_factory=list)  # (line, msgid, why)
    skipped: list[tuple[int, str, str]] = field(default_factory=list)
    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)

    @property
    def applied(self) -> bool:
        return not self.refused


def import_po(locale: str, data: bytes, *, by: User | None) -> ImportReport:
    """Apply a PO file's entries as overrides in *locale*, all of them or, if any is refused, none."""
    check_locale(locale)
    report = ImportReport()
    try:
        catalog = read_po(BytesIO(data), locale=locale, abort_invalid=True)
    except (PoFileError, ValueError, UnicodeDecodeError) as exc:
        line = getattr(exc, "lineno", 0) or 0
        report.refused.append(
            (line, "", _("This is not a PO file that can be read: %(problem)s", problem=str(exc)[:200]))
        )
        return report
    accepted: list[tuple[ShippedMessage, list[str]]] = []
    expected_forms = plural_forms(locale)[0]
    for entry in catalog:
        if not entry.id:
            continue
        msgid, plural = catalogs.message_parts(entry)
        line = entry.lineno or 0
        texts = (
            [str(t or "") for t in entry.string]
            if isinstance(entry.string, (tuple, list))
            else [str(entry.string or "")]
        )
        if entry.fuzzy:
            report.skipped.append((line, msgid, _("marked fuzzy (needs review)")))
            continue
        if not any(texts):
            report.skipped.append((line, msgid, _("not translated")))
            continue
        message = shipped_message(msgid, entry.context or "")
        if message is None:
            report.refused.append((line, msgid, _("not a message of this application")))
            continue
        if (plural is None) != (message.msgid_plural is None):
            report.refused.append(
                (line, msgid, _("the original has plural forms and this entry does not, or the reverse"))
            )
            continue
        if plural is not None and len(texts) != expected_forms:
            report.refused.append(
                (line, msgid, _("give %(count)d plural forms for this language", count=expected_forms))
            )
            continue
        try:
            accepted.append((message, validate_texts(message, locale, texts)))
        except ValidationError as refused:
            report.refused.append((line, msgid, refused.message))
    if report.refused:
        return report
    existing = overrides_for(locale)
    for message, texts in accepted:
        override = existing.get(message.key)
        current = (
            list(override.translations) if override is not None else list(shipped_texts(message, locale))
        )
        if current == texts:
            report.unchanged.append(message.msgid)
            continue
        if override is None:
            override = MessageOverride(
                locale=locale, msgid=message.msgid, msgid_plural=message.msgid_plural, context=message.context
            )
            db.session.add(override)
            report.added.append(message.msgid)
        else:
            report.changed.append(message.msgid)
        override.translations = texts
        override.updated_by_id = by.id if by is not None else None
        override.updated_at = utcnow()
    db.session.flush()
    if report.added or report.changed:
        audit.record(
            "terminology.imported",
            target=None,
            after={
                "locale": locale,
                "added": len(report.added),
                "changed": len(report.changed),
                "messages": (report.added + report.changed)[:20],
            },
        )
    catalogs.forget_in_this_context()
    return report
