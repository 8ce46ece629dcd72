"""A portal's own wording of a message: search the shipped messages, override one, revert it.

An override is checked like the shipped catalogs are: the same placeholders as the original (a
``%(name)s`` missing or added is refused, naming it), one text per plural form of the language.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import select

from app import audit
from app.accounts.models import User
from app.errors import ValidationError
from app.extensions import db
from app.locales import is_known_locale
from app.tenancy.models import utcnow
from app.terminology import catalogs
from app.terminology.catalogs import ShippedMessage, plural_examples, plural_forms, shipped_message
from app.terminology.models import MessageOverride
from app.terminology.services.placeholders import check_placeholders

PER_PAGE = 50
# Texts far longer than any shipped message are refused rather than stored.
MAX_TEXT = 4000


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


def check_locale(locale: str) -> None:
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
    check_locale(locale)
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


def known_locales(enabled: Iterable[str]) -> list[str]:
    return [code for code in enabled if is_known_locale(code)]
