"""What a learner reads: each text in their language if translated, else in the portal's, else the original.

One reader per request (or job) and language. The first text asked of a kind loads the translations of
every item of that kind the request has already loaded from the database (SQLAlchemy's identity map), in
one query; later texts of those items cost nothing. A text in the language it was written in costs no
query at all, so a portal that translates nothing pays nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from flask import g, has_app_context
from flask.globals import _cv_app
from flask_babel import get_locale
from markupsafe import Markup
from sqlalchemy import select

from app.extensions import db
from app.multilingual.kinds import Field, Kind, kind_of, portal_locale, source_hash, written_in_portal_locale
from app.multilingual.models import ContentTranslation
from app.tenancy import context

_READERS = "_content_readers"
_LAST_READER = "_content_reader_last"


@dataclass(frozen=True)
class Shown:
    """One text as shown: the words, their HTML for Markdown fields, and what language they are in."""

    text: str
    html: Markup | None
    locale: str
    translated: bool
    outdated: bool


@dataclass(frozen=True)
class Reading:
    """How an item reads for this person: in which language, and whether a translation may be behind."""

    locale: str
    wanted: str
    outdated: bool

    @property
    def fallback(self) -> bool:
        return self.locale != self.wanted


class Reader:
    """The translations one request has looked up, for one language and the portal's default."""

    def __init__(self, locale: str, default: str) -> None:
        self.locale = locale
        self.default = default
        self._rows: dict[tuple[str, int, str], ContentTranslation] = {}
        self._loaded: set[tuple[str, int]] = set()
        self._fields: dict[tuple[type, int], dict[str, Field]] = {}

    def chain(self, source_locale: str) -> list[str]:
        """The languages to try, in order, before the original: the person's, then the portal's."""
        tried: list[str] = []
        for locale in (self.locale, self.default):
            if locale == source_locale:
                break
            if locale not in tried:
                tried.append(locale)
        return tried

    def source_locale(self, kind: Kind, obj: Any) -> str:
        """The language *obj* was written in: the portal's (this reader's default) for most kinds."""
        if kind.source_locale is written_in_portal_locale:
            return self.default  # what it answers, without looking the portal up again for every text
        return kind.source_locale(obj)

    def fields_of(self, kind: Kind, obj: Any) -> dict[str, Field]:
        key = (type(obj), int(obj.id))
        found = self._fields.get(key)
        if found is None:
            found = self._fields[key] = {f.name: f for f in kind.fields(obj)}
        return found

    def shown(self, obj: Any, name: str) -> Shown:
        """Field *name* of *obj* as this person reads it."""
        kind = kind_of(obj)
        if kind is None:
            raise TypeError(f"{type(obj).__name__} is not translatable")
        source = self.fields_of(kind, obj).get(name)
        source_text = source.text if source is not None else ""
        source_locale = self.source_locale(kind, obj)
        chain = self.chain(source_locale)
        if chain and source is not None:
            item_id = kind.item_id(obj)
            self._load(kind, item_id)
            for locale in chain:
                row = self._rows.get((kind.name, item_id, locale))
                text = (row.fields or {}).get(name) if row is not None else None
                if row is not None and text and text.strip():
                    html = (row.html or {}).get(name)
                    outdated = (row.source_hashes or {}).get(name) != source_hash(source_text)
                    return Shown(text, _sanitised(html), locale, True, outdated)
        return Shown(source_text, None, source_locale, False, False)

    def translates(self, obj: Any) -> bool:
        """Whether *obj* has a translation this person may read instead of its original (one lookup,
        shared with the page's other items of its kind)."""
        kind = kind_of(obj)
        if kind is None:
            return False
        chain = self.chain(self.source_locale(kind, obj))
        if not chain:
            return False
        item_id = kind.item_id(obj)
        self._load(kind, item_id)
        return any((kind.name, item_id, locale) in self._rows for locale in chain)

    def reading(self, obj: Any, *names: str) -> Reading:
        """The language *obj* reads in (its first field, or *names*), and whether a shown field is behind."""
        kind = kind_of(obj)
        if kind is None:
            raise TypeError(f"{type(obj).__name__} is not translatable")
        source_locale = self.source_locale(kind, obj)
        if not self.chain(source_locale):
            # Read in the language it was written in: every field is its source, none is behind.
            return Reading(source_locale, self.locale, False)
        fields = list(names) or list(self.fields_of(kind, obj))
        shown = [self.shown(obj, name) for name in fields]
        locale = shown[0].locale if shown else source_locale
        return Reading(locale, self.locale, any(s.outdated for s in shown))

    def notice(self, items: Iterable[Any]) -> tuple[Reading | None, bool]:
        """What a page's translation notice says of *items*: the first read in another language than the
        person's (or None), and whether any shown text may be behind its original.

        An item read in the language it was written in (most, in most portals) says nothing, and is
        passed over without making its ``Reading``.
        """
        shown: Reading | None = None
        outdated = False
        for obj in items:
            kind = kind_of(obj)
            if kind is None:
                raise TypeError(f"{type(obj).__name__} is not translatable")
            if self.source_locale(kind, obj) == self.locale:
                continue  # read as written: in the person's language, nothing behind
            reading = self.reading(obj)
            if shown is None and reading.fallback:
                shown = reading
            outdated = outdated or reading.outdated
        return shown, outdated

    def _load(self, kind: Kind, item_id: int) -> None:
        if (kind.name, item_id) in self._loaded:
            return
        wanted = {item_id}
        for obj in list(db.session.identity_map.values()):
            if isinstance(obj, kind.classes):
                try:
                    wanted.add(kind.item_id(obj))
                except Exception:  # noqa: S112 - an object half-made or expired mid-request: not preloaded
                    continue
        wanted = {i for i in wanted if (kind.name, i) not in self._loaded}
        locales = {self.locale, self.default}
        with db.session.no_autoflush:
            rows = db.session.scalars(
                select(ContentTranslation).where(
                    ContentTranslation.kind == kind.name,
                    ContentTranslation.item_id.in_(sorted(wanted)),
                    ContentTranslation.locale.in_(sorted(locales)),
                )
            ).all()
        for row in rows:
            self._rows[(row.kind, row.item_id, row.locale)] = row
        self._loaded.update((kind.name, i) for i in wanted)


def _sanitised(html: str | None) -> Markup | None:
    """HTML rendered by ``app.text.render_markdown`` when it was saved: sanitised already."""
    return Markup(html) if html is not None else None  # noqa: S704 - sanitised by nh3 when it was stored


def reader() -> Reader:
    """This request's reader for the current language (a new one once the language is switched).

    A page asks for it once per title (a hundred times for a catalog's paths): the last answer is kept
    with what it was found from (Flask-Babel's locale object, the request's portal and its language, the
    tenant in context) and given again while they are the same, without looking the locale and the
    portal up again.
    """
    if not has_app_context():
        return Reader(str(get_locale() or "en"), portal_locale())
    app_context = _cv_app.get()
    state = app_context.g.__dict__.get("_flask_babel")
    portal = app_context.g.__dict__.get("tenant")
    babel_locale = getattr(state, "babel_locale", None)
    portal_language = getattr(portal, "default_locale", None)
    tenant_id = context.current_tenant_id()
    last = app_context.g.__dict__.get(_LAST_READER)
    if (
        last is not None
        and babel_locale is not None
        and last[0] is babel_locale
        and last[1] is portal
        and last[2] == portal_language
        and last[3] == tenant_id
    ):
        return last[4]
    locale = str(get_locale() or "en")
    default = portal_locale()
    readers: dict[tuple[str, str], Reader] = g.setdefault(_READERS, {})
    key = (locale, default)
    if key not in readers:
        readers[key] = Reader(locale, default)
    setattr(app_context.g, _LAST_READER, (babel_locale, portal, portal_language, tenant_id, readers[key]))
    return readers[key]


def forget_in_this_context() -> None:
    """Drop what this request looked up, so that a translation just saved shows on the page it renders."""
    if has_app_context():
        g.pop(_READERS, None)
        g.pop(_LAST_READER, None)


def translated(obj: Any, name: str) -> str:
    """Field *name* of *obj* in the reader's language (for templates: ``course|tr("title")``)."""
    return reader().shown(obj, name).text


def reads_translated(obj: Any) -> bool:
    """Whether *obj* reads, at least in part, in a translation for this person (``obj|reads_translated``)."""
    return reader().translates(obj)


def translated_html(obj: Any, name: str, original_html: str | None = None) -> Markup:
    """The HTML of Markdown field *name*: the translation's, else *original_html* (already sanitised)."""
    shown = reader().shown(obj, name)
    if shown.translated and shown.html is not None:
        return shown.html
    return _sanitised(original_html or "") or Markup()


def shown_of(obj: Any, name: str) -> Shown:
    """Field *name* of *obj* as this person reads it, with the language it is in (one lookup for both)."""
    return reader().shown(obj, name)


def reading_of(obj: Any, *names: str) -> Reading:
    return reader().reading(obj, *names)


def notice_of(items: Iterable[Any]) -> tuple[Reading | None, bool]:
    """(the first of *items* read in another language, or None; whether any may be behind): for the
    translation notice, one call for a page's items."""
    return reader().notice(items)
