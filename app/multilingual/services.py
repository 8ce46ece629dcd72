"""Translating a portal's own content: save an item's translation, mark it reviewed, see what is left."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select

from app import audit
from app.errors import ValidationError, ValidationErrors
from app.extensions import db
from app.locales import LOCALE_NAMES, is_known_locale
from app.multilingual import reading
from app.multilingual.kinds import Field, Kind, current_portal, source_hash
from app.multilingual.models import ContentTranslation
from app.tenancy.models import utcnow
from app.text import render_markdown

# A translated text longer than this is not a translation of anything a portal writes.
MAX_TEXT = 200_000


@dataclass(frozen=True)
class FieldState:
    """One field of an item in one language: source, translation, and whether the translation is behind."""

    field: Field
    translation: str
    outdated: bool

    @property
    def missing(self) -> bool:
        return not self.translation.strip()


@dataclass(frozen=True)
class ItemState:
    """Where an item stands in one language: complete, partly done, missing or outdated; reviewed or not."""

    fields: list[FieldState]
    row: ContentTranslation | None

    @property
    def missing_count(self) -> int:
        return sum(1 for f in self.fields if f.missing)

    @property
    def outdated_count(self) -> int:
        return sum(1 for f in self.fields if not f.missing and f.outdated)

    @property
    def status(self) -> str:
        """``missing`` (nothing), ``partial``, ``outdated`` (a source changed since) or ``complete``."""
        if not self.fields:
            return "complete"
        if self.missing_count == len(self.fields):
            return "missing"
        if self.outdated_count:
            return "outdated"
        if self.missing_count:
            return "partial"
        return "complete"

    @property
    def reviewed(self) -> bool:
        return self.row is not None and self.row.reviewed_at is not None and self.status == "complete"


def translatable_locales(source_locale: str | None = None) -> list[str]:
    """The portal's languages a translation can be written in (the item's own language excluded)."""
    tenant = current_portal()
    enabled = list(getattr(tenant, "enabled_locales", None) or ["en"])
    return [code for code in enabled if is_known_locale(code) and code != source_locale]


def find_translation(kind: Kind, item_id: int, locale: str) -> ContentTranslation | None:
    return db.session.scalars(
        select(ContentTranslation).where(
            ContentTranslation.kind == kind.name,
            ContentTranslation.item_id == item_id,
            ContentTranslation.locale == locale,
        )
    ).first()


def item_state(
    kind: Kind, obj: Any, locale: str, row: ContentTranslation | None = None, *, looked_up: bool = False
) -> ItemState:
    """Each field of *obj* in *locale* with its translation and whether the source changed since.

    *looked_up*: the caller already searched for the row, so None means there is no translation yet.
    """
    if row is None and not looked_up:
        row = find_translation(kind, kind.item_id(obj), locale)
    texts = (row.fields or {}) if row is not None else {}
    hashes = (row.source_hashes or {}) if row is not None else {}
    fields = [
        FieldState(f, texts.get(f.name, ""), bool(texts.get(f.name)) and hashes.get(f.name) != f.source_hash)
        for f in kind.fields(obj)
    ]
    return ItemState(fields, row)


def states_in(kind: Kind, objs: Iterable[Any], locale: str) -> dict[int, ItemState]:
    """:func:`item_state` of many items of one kind, with one query."""
    items = list(objs)
    ids = [kind.item_id(o) for o in items]
    rows = (
        {
            r.item_id: r
            for r in db.session.scalars(
                select(ContentTranslation).where(
                    ContentTranslation.kind == kind.name,
                    ContentTranslation.locale == locale,
                    ContentTranslation.item_id.in_(ids),
                )
            )
        }
        if ids
        else {}
    )
    return {
        kind.item_id(o): item_state(kind, o, locale, rows.get(kind.item_id(o)), looked_up=True) for o in items
    }


def _check_locale(kind: Kind, obj: Any, locale: str) -> None:
    if locale not in translatable_locales(kind.source_locale(obj)):
        if locale == kind.source_locale(obj):
            raise ValidationError(
                _(
                    "This is written in %(language)s already; choose another language to translate it into.",
                    language=LOCALE_NAMES.get(locale, locale),
                ),
                field="locale",
            )
        raise ValidationError(
            _("This portal does not offer the language “%(locale)s”.", locale=locale), field="locale"
        )


def check_texts(kind: Kind, obj: Any, texts: Mapping[str, str]) -> list[ValidationError]:
    """Each problem of *texts* as translation of *obj*: unknown fields, placeholders or markup that differ."""
    from app.multilingual.exchange import markup_problems

    fields = {f.name: f for f in kind.fields(obj)}
    problems: list[ValidationError] = []
    for name, text in texts.items():
        source = fields.get(name)
        if source is None:
            problems.append(
                ValidationError(_("“%(field)s” is not a text of this item.", field=name), field=name)
            )
            continue
        if len(text) > MAX_TEXT:
            problems.append(ValidationError(_("This translation is too long."), field=name))
            continue
        if text.strip():
            problems.extend(
                ValidationError(message, field=name) for message in markup_problems(source.text, text)
            )
    return problems


def save_translation(
    kind: Kind, obj: Any, locale: str, texts: Mapping[str, str], *, by: Any = None, partial: bool = True
) -> ContentTranslation:
    """Store *texts* (field name → translation) as *obj*'s translation into *locale*.

    Each saved field remembers the hash of its source text as it is now. An empty text removes that
    field's translation; with ``partial`` the fields not given keep theirs. Any problem refuses the whole
    save (nothing is written) and names every field at fault.
    """
    _check_locale(kind, obj, locale)
    problems = check_texts(kind, obj, texts)
    if problems:
        raise ValidationErrors(problems)
    fields = {f.name: f for f in kind.fields(obj)}
    item_id = kind.item_id(obj)
    row = find_translation(kind, item_id, locale)
    if row is None:
        row = ContentTranslation(
            kind=kind.name, item_id=item_id, locale=locale, fields={}, html={}, source_hashes={}
        )
        db.session.add(row)
    before = dict(row.fields or {})
    new_fields = dict(row.fields or {}) if partial else {}
    new_html = dict(row.html or {}) if partial else {}
    new_hashes = dict(row.source_hashes or {}) if partial else {}
    for name, text in texts.items():
        if text.strip():
            new_fields[name] = text
            new_hashes[name] = fields[name].source_hash
            if fields[name].markdown:
                new_html[name] = render_markdown(text)
        else:
            for mapping in (new_fields, new_hashes, new_html):
                mapping.pop(name, None)
    changed = new_fields != before or new_hashes != (row.source_hashes or {})
    row.fields, row.html, row.source_hashes = new_fields, new_html, new_hashes
    if changed:
        row.reviewed_at = None
        row.reviewed_by_id = None
        row.updated_by_id = getattr(by, "id", None)
        row.updated_at = utcnow()
        db.session.flush()
        audit.record(
            "content.translated",
            target=None,
            before={"kind": kind.name, "item": item_id, "locale": locale, "fields": sorted(before)},
            after={
                "kind": kind.name,
                "item": item_id,
                "locale": locale,
                "title": kind.title(obj),
                "fields": sorted(n for n in new_fields if new_fields.get(n) != before.get(n)),
            },
        )
    reading.forget_in_this_context()
    return row


def mark_reviewed(kind: Kind, obj: Any, locale: str, *, by: Any) -> ContentTranslation:
    """Record that someone checked the whole translation; refused while a text is missing or outdated."""
    state = item_state(kind, obj, locale)
    if state.row is None or state.status != "complete":
        raise ValidationError(
            _("Translate every text, and update the outdated ones, before marking it reviewed.")
        )
    state.row.reviewed_at = utcnow()
    state.row.reviewed_by_id = getattr(by, "id", None)
    db.session.flush()
    audit.record(
        "content.translation_reviewed",
        target=None,
        after={"kind": kind.name, "item": kind.item_id(obj), "locale": locale, "title": kind.title(obj)},
    )
    return state.row


def source_hashes_of(kind: Kind, obj: Any) -> dict[str, str]:
    return {f.name: source_hash(f.text) for f in kind.fields(obj)}
