"""A portal's own terminology: search the shipped messages, override one, preview it, revert it, and
exchange overrides with translators' tools as PO files.

An override is checked like the shipped catalogs are: the same placeholders as the original (a
``%(name)s`` missing or added is refused, naming it), one text per plural form of the language.
"""

from __future__ import annotations

import gettext
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from io import BytesIO
from typing import Any

from babel.messages.catalog import PYTHON_FORMAT
from babel.messages.pofile import PoFileError, read_po, write_po
from flask_babel import gettext as _
from sqlalchemy import select

from app import audit
from app.accounts.models import User
from app.errors import ValidationError
from app.extensions import db
from app.locales import is_known_locale
from app.tenancy.models import Tenant, utcnow
from app.terminology import catalogs
from app.terminology.catalogs import ShippedMessage, plural_examples, plural_forms, shipped_message
from app.terminology.models import MessageOverride

PER_PAGE = 50
# Texts far longer than any shipped message are refused rather than stored.
MAX_TEXT = 4000


# ---------------------------------------------------------------- placeholders


@dataclass(frozen=True)
class Placeholders:
    named: frozenset[str]
    positional: int
    # A "%" that starts no placeholder: the text cannot be filled in.
    broken: bool = False


def placeholders_of(text: str) -> Placeholders:
    """The placeholders of a Python %-format *text*: its names and how many unnamed ones."""
    named: set[str] = set()
    positional = 0
    for match in PYTHON_FORMAT.finditer(text):
        name, conversion = match.group(1), match.group(3)
        if conversion == "%":
            continue
        if name:
            named.add(name)
        else:
            positional += 1
    stripped = PYTHON_FORMAT.sub("", text)
    return Placeholders(frozenset(named), positional, broken="%" in stripped)


def check_placeholders(message: ShippedMessage, texts: list[str]) -> None:
    """Refuse *texts* whose placeholders differ from the original's; the message names the placeholder."""
    if not message.python_format:
        return
    singular = placeholders_of(message.msgid)
    plural = placeholders_of(message.msgid_plural) if message.msgid_plural is not None else None
    allowed = singular.named | (plural.named if plural else frozenset())
    for index, text in enumerate(texts):
        found = placeholders_of(text)
        if found.broken:
            raise ValidationError(
                _(
                    "This text has a percent sign that starts no placeholder. Write it as %(escaped)s.",
                    escaped="%%",
                ),
                field=f"form_{index}",
            )
        # A plural form for one (or none) may spell the number out; every other name must stay.
        required = singular.named if plural is None else plural.named - {"num"}
        for name in sorted(required - found.named):
            raise ValidationError(
                _(
                    "The placeholder %(placeholder)s is missing: keep it, the page fills it in.",
                    placeholder=f"%({name})s",
                ),
                field=f"form_{index}",
            )
        for name in sorted(found.named - allowed):
            raise ValidationError(
                _(
                    "The placeholder %(placeholder)s is not in the original message: remove it.",
                    placeholder=f"%({name})s",
                ),
                field=f"form_{index}",
            )
        if found.positional != singular.positional:
            raise ValidationError(
                _(
                    "The original has %(expected)d placeholders %(placeholder)s and this text has %(found)d: "
                    "keep the same number.",
                    expected=singular.positional,
                    found=found.positional,
                    placeholder="%s",
                ),
                field=f"form_{index}",
            )


def _sample(name: str, conversion: str, number: int) -> Any:
    if name == "num" or conversion in "dif":
        return number
    samples = {
        "name": "Lee Learner",
        "person": "Lee Learner",
        "title": "Food Safety Basics",
        "email": "lee@example.com",
    }
    return samples.get(name, f"[{name}]")


def preview(message: ShippedMessage, locale: str, texts: list[str]) -> list[tuple[int, str]]:
    """Each text filled in with sample values: (the number it is shown for, the text as a page shows it)."""
    examples = plural_examples(locale)
    shown = []
    for index, text in enumerate(texts):
        number = (
            examples[index][0]
            if message.msgid_plural is not None and index < len(examples) and examples[index]
            else 3
        )
        if not message.python_format:
            shown.append((number, text))
            continue
        values: dict[str, Any] = {}
        positional: list[Any] = []
        for match in PYTHON_FORMAT.finditer(text):
            name, conversion = match.group(1), match.group(3)
            if conversion == "%":
                continue
            if name:
                values[name] = _sample(name, conversion, number)
            else:
                positional.append(_sample("", conversion, number))
        try:
            shown.append(
                (number, text % (values or tuple(positional)) if (values or positional) else text % ())
            )
        except (TypeError, ValueError, KeyError):
            shown.append((number, text))
    return shown


# ---------------------------------------------------------------- reading


@dataclass
class MessageRow:
    """One shipped message as a portal shows it in a language: shipped, theme and own wording."""

    message: ShippedMessage
    shipped: tuple[str, ...]
    override: MessageOverride | None
    current: tuple[str, ...]

    @property
    def overridden(self) -> bool:
        return self.override is not None


def overrides_for(locale: str) -> dict[catalogs.MessageKey, MessageOverride]:
    """The current tenant's overrides in *locale*, by (msgid, context): one query."""
    rows = db.session.scalars(select(MessageOverride).where(MessageOverride.locale == locale))
    return {(o.msgid, o.context): o for o in rows}


def shipped_texts(message: ShippedMessage, locale: str) -> tuple[str, ...]:
    """The shipped wording of *message* in *locale* (the English original where there is none)."""
    found = catalogs.shipped_translations(locale).get(message.key)
    if found:
        return found
    if message.msgid_plural is None:
        return (message.msgid,)
    count = plural_forms(locale)[0]
    return tuple(message.msgid if i == 0 and count > 1 else message.msgid_plural for i in range(count))


def _row(message: ShippedMessage, locale: str, override: MessageOverride | None) -> MessageRow:
    shipped = shipped_texts(message, locale)
    current = tuple(override.translations) if override is not None else shipped
    return MessageRow(message, shipped, override, current)


def search(
    locale: str, query: str, *, page: int = 1, only_overridden: bool = False
) -> tuple[list[MessageRow], int]:
    """The shipped messages whose English or current wording in *locale* contains *query*; a page of 50."""
    needle = query.strip().casefold()
    overrides = overrides_for(locale)
    matching = []
    for message in catalogs.shipped_messages():
        override = overrides.get(message.key)
        if only_overridden and override is None:
            continue
        row = _row(message, locale, override)
        haystack = [message.msgid, message.msgid_plural or "", *row.current, *row.shipped]
        if not needle or any(needle in text.casefold() for text in haystack):
            matching.append(row)
    start = (max(page, 1) - 1) * PER_PAGE
    return matching[start : start + PER_PAGE], len(matching)


def message_row(locale: str, msgid: str, context: str = "") -> MessageRow | None:
    message = shipped_message(msgid, context)
    if message is None:
        return None
    override = db.session.scalars(
        select(MessageOverride).where(
            MessageOverride.locale == locale,
            MessageOverride.msgid == msgid,
            MessageOverride.context == (context or ""),
        )
    ).one_or_none()
    return _row(message, locale, override)


def form_labels(locale: str) -> list[str]:
    """A label for each plural form of *locale*, with numbers that choose it."""
    labels = []
    for index, numbers in enumerate(plural_examples(locale), start=1):
        examples = ", ".join(str(n) for n in numbers) + (" …" if len(numbers) >= 4 else "")
        labels.append(_("Form %(n)d (for %(examples)s)", n=index, examples=examples))
    return labels


# ---------------------------------------------------------------- changing


def _check_locale(locale: str) -> None:
    if not is_known_locale(locale):
        raise ValidationError(_("Choose one of the portal's languages."), field="locale")


def validate_texts(message: ShippedMessage, locale: str, texts: list[str]) -> list[str]:
    """The texts cleaned and checked: one per plural form (or one), none empty, the same placeholders."""
    texts = [t.replace("\r\n", "\n").strip() for t in texts]
    expected = plural_forms(locale)[0] if message.msgid_plural is not None else 1
    if len(texts) != expected:
        raise ValidationError(
            _(
                "Give %(count)d forms of this message, one for each plural form of the language.",
                count=expected,
            ),
            field="form_0",
        )
    for index, text in enumerate(texts):
        if not text:
            raise ValidationError(
                _("Write the text of every form, or revert to the shipped wording."), field=f"form_{index}"
            )
        if len(text) > MAX_TEXT:
            raise ValidationError(
                _("Keep the text under %(count)d characters.", count=MAX_TEXT), field=f"form_{index}"
            )
    check_placeholders(message, texts)
    return texts


def save_override(
    locale: str, message: ShippedMessage, texts: list[str], *, by: User | None
) -> MessageOverride | None:
    """Make *texts* the portal's wording of *message* in *locale*; None when nothing changed."""
    _check_locale(locale)
    texts = validate_texts(message, locale, texts)
    row = message_row(locale, message.msgid, message.context)
    assert row is not None
    if list(row.current) == texts:
        return row.override
    before = list(row.current)
    override = row.override
    if override is None:
        override = MessageOverride(
            locale=locale, msgid=message.msgid, msgid_plural=message.msgid_plural, context=message.context
        )
        db.session.add(override)
    override.translations = texts
    override.updated_by_id = by.id if by is not None else None
    override.updated_at = utcnow()
    db.session.flush()
    audit.record(
        "terminology.changed",
        target=None,
        before={"locale": locale, "msgid": message.msgid, "text": " | ".join(before)},
        after={"locale": locale, "msgid": message.msgid, "text": " | ".join(texts)},
    )
    catalogs.forget_in_this_context()
    return override


def revert_override(locale: str, message: ShippedMessage) -> bool:
    """Go back to the shipped (or theme's) wording of *message* in *locale*; whether there was an override."""
    row = message_row(locale, message.msgid, message.context)
    if row is None or row.override is None:
        return False
    db.session.delete(row.override)
    db.session.flush()
    audit.record(
        "terminology.reverted",
        target=None,
        before={"locale": locale, "msgid": message.msgid, "text": " | ".join(row.current)},
        after={"locale": locale, "msgid": message.msgid, "text": " | ".join(row.shipped)},
    )
    catalogs.forget_in_this_context()
    return True


# ---------------------------------------------------------------- PO files


def export_po(tenant: Tenant, locale: str) -> bytes:
    """The portal's overrides in *locale* as a PO file, for Poedit, Lokalize or Weblate."""
    _check_locale(locale)
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
    _check_locale(locale)
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
        msgid, plural = catalogs._message_parts(entry)
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


def plural_function(locale: str) -> Any:
    return gettext.c2py(plural_forms(locale)[1])


def known_locales(enabled: Iterable[str]) -> list[str]:
    return [code for code in enabled if is_known_locale(code)]
