"""The catalogs a portal's interface speaks from: its own overrides, its theme's, then the shipped ones.

Flask-Babel asks its domain for the current translations on every string. :class:`TerminologyDomain`
answers with a chain of babel ``Translations``: the tenant's overrides for the locale, falling back
to the theme's ``themes/<theme>/translations/<locale>/LC_MESSAGES/messages.po`` (parsed once per
process), falling back to the shipped catalog. The chain is built once per (tenant, theme, locale)
per process and kept, tagged with the **terminology generation** read before its one query; a
commit that wrote an override moves the generation on (a counter in Redis when configured, else a
file of the instance folder, as the tenant cache does), so every worker rebuilds it at its next
request. A request reads the generation once per locale and no query when the chain is cached.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Hashable, Iterable
from dataclasses import dataclass
from functools import lru_cache
from io import BytesIO
from pathlib import Path
from typing import Any

from babel import Locale
from babel.messages.catalog import Catalog, Message
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations
from flask import Flask, current_app, g, has_app_context
from flask_babel import Domain, get_locale
from sqlalchemy import event, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from app.extensions import db
from app.tenancy import context as tenancy_context
from app.tenancy.cache import FileGeneration, RedisGeneration
from app.tenancy.themes import THEMES_ROOT, available_themes
from app.terminology.models import MessageOverride

log = logging.getLogger("atrium.terminology")

ROOT = Path(__file__).resolve().parent.parent.parent
TRANSLATIONS = ROOT / "translations"
TEMPLATE = TRANSLATIONS / "messages.pot"
_EXTENSION = "atrium.terminology"
REDIS_KEY = "atrium:terminology-generation"
GENERATION_FILE = "terminology-generation"
MAX_AGE_SECONDS = 300.0
MAX_ENTRIES = 5_000
_CHANGED_KEY = "atrium_terminology_changed"
_MEMO = "_atrium_terminology"
# How long an application context (a request, a job) keeps what it looked up before asking the cache again.
MEMO_SECONDS = 5.0

# (msgid, context): how a message is known; context "" when it has none.
MessageKey = tuple[str, str]


# ---------------------------------------------------------------- the shipped catalog


@dataclass(frozen=True)
class ShippedMessage:
    """A message of the shipped catalog (translations/messages.pot)."""

    msgid: str
    msgid_plural: str | None
    context: str
    python_format: bool

    @property
    def key(self) -> MessageKey:
        return (self.msgid, self.context)


def message_parts(message: Message) -> tuple[str, str | None]:
    if isinstance(message.id, (tuple, list)):
        return str(message.id[0]), str(message.id[1])
    return str(message.id), None


@lru_cache(maxsize=4)
def _template(path: Path = TEMPLATE) -> tuple[ShippedMessage, ...]:
    with path.open("rb") as file:
        catalog = read_po(file)
    found = []
    for message in catalog:
        if not message.id:
            continue
        msgid, plural = message_parts(message)
        found.append(ShippedMessage(msgid, plural, message.context or "", "python-format" in message.flags))
    return tuple(found)


def shipped_messages() -> tuple[ShippedMessage, ...]:
    """Every message of the shipped catalog, in its order (by source file)."""
    return _template(TEMPLATE)


@lru_cache(maxsize=1)
def _shipped_index() -> dict[MessageKey, ShippedMessage]:
    return {m.key: m for m in shipped_messages()}


def shipped_message(msgid: str, context: str = "") -> ShippedMessage | None:
    return _shipped_index().get((msgid, context or ""))


@lru_cache(maxsize=16)
def _shipped_catalog(locale: str) -> Catalog | None:
    path = TRANSLATIONS / locale / "LC_MESSAGES" / "messages.po"
    if not path.is_file():
        return None
    with path.open("rb") as file:
        return read_po(file, locale=locale)


@lru_cache(maxsize=16)
def shipped_translations(locale: str) -> dict[MessageKey, tuple[str, ...]]:
    """The shipped translation of each message in *locale* (not fuzzy, not empty); English has none."""
    catalog = _shipped_catalog(locale)
    if catalog is None:
        return {}
    found: dict[MessageKey, tuple[str, ...]] = {}
    for message in catalog:
        if not message.id or message.fuzzy:
            continue
        strings = tuple(message.string) if isinstance(message.string, (tuple, list)) else (message.string,)
        if all(strings):
            found[(message_parts(message)[0], message.context or "")] = tuple(str(s) for s in strings)
    return found


# ---------------------------------------------------------------- plural forms


@lru_cache(maxsize=16)
def plural_forms(locale: str) -> tuple[int, str]:
    """(number of forms, C expression choosing one) of *locale*: the shipped catalog's, else babel's."""
    catalog = _shipped_catalog(locale) or Catalog(locale=Locale.parse(locale))
    return catalog.num_plurals, catalog.plural_expr


def new_catalog(locale: str, **options: Any) -> Catalog:
    """An empty catalog for *locale* with the plural forms of the shipped one (babel's may differ)."""
    catalog = Catalog(locale=Locale.parse(locale), **options)
    count, expression = plural_forms(locale)
    catalog.mime_headers = [("Plural-Forms", f"nplurals={count}; plural={expression};")]
    return catalog


@lru_cache(maxsize=16)
def plural_examples(locale: str) -> tuple[tuple[int, ...], ...]:
    """For each plural form of *locale*, a few numbers that choose it (0 to 200)."""
    import gettext

    count, expression = plural_forms(locale)
    choose = gettext.c2py(expression)
    examples: list[list[int]] = [[] for _ in range(count)]
    for n in range(201):
        form = choose(n)
        if 0 <= form < count and len(examples[form]) < 4:
            examples[form].append(n)
    return tuple(tuple(e) for e in examples)


# ---------------------------------------------------------------- catalogs as Translations


def translations_of(locale: str, entries: Iterable[tuple[str, str | None, str, list[str]]]) -> Translations:
    """Compile *entries* (msgid, msgid_plural, context, texts) for *locale* into a babel Translations."""
    catalog = new_catalog(locale)
    for msgid, plural, context, texts in entries:
        if plural is None:
            catalog.add(msgid, texts[0] if texts else "", context=context or None)
        else:
            catalog.add((msgid, plural), tuple(texts), context=context or None)
    buffer = BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(buffer)


def theme_catalog_path(theme: str, locale: str, root: Path = THEMES_ROOT) -> Path:
    return root / theme / "translations" / locale / "LC_MESSAGES" / "messages.po"


@lru_cache(maxsize=64)
def theme_translations(theme: str, locale: str, root: Path = THEMES_ROOT) -> Translations | None:
    """The default overrides a theme ships for *locale*, parsed once per process; None when it has none."""
    path = theme_catalog_path(theme, locale, root)
    if not path.is_file():
        return None
    with path.open("rb") as file:
        catalog = read_po(file, locale=locale)
    entries = []
    for message in catalog:
        if not message.id or message.fuzzy:
            continue
        msgid, plural = message_parts(message)
        texts = list(message.string) if isinstance(message.string, (tuple, list)) else [message.string]
        if all(texts):
            entries.append((msgid, plural, message.context or "", [str(t) for t in texts]))
    return translations_of(locale, entries)


def _link(source: Translations, fallback: NullTranslations) -> Translations:
    """A new Translations reading *source*'s messages (shared, unchanged), falling back to *fallback*."""
    link = Translations()
    link._catalog = source._catalog
    link.plural = source.plural
    link.add_fallback(fallback)
    return link


# ---------------------------------------------------------------- per tenant, cached per process


@dataclass(frozen=True)
class _Entry:
    generation: Hashable
    read_at: float
    shipped: NullTranslations
    translations: NullTranslations


class TerminologyCache:
    """One process's translation chains by (tenant, theme, locale), tagged with the terminology generation."""

    def __init__(self, source: RedisGeneration | FileGeneration, themes_root: Path = THEMES_ROOT) -> None:
        self.source = source
        self.themes_root = themes_root
        self._entries: dict[tuple[int, str, str], _Entry] = {}
        self._lock = threading.Lock()

    def translations(
        self, tenant_id: int, theme: str, locale: str, shipped: NullTranslations
    ) -> NullTranslations:
        """The chain of *tenant_id* in *locale*: from the cache, else built with one query."""
        key = (tenant_id, theme, locale)
        generation = self.source.read()
        entry = self._entries.get(key)
        now = time.monotonic()
        if (
            entry is not None
            and generation is not None
            and entry.generation == generation
            and entry.shipped is shipped
            and now - entry.read_at < MAX_AGE_SECONDS
        ):
            return entry.translations
        built = self._build(theme, locale, shipped)
        if generation is not None and built is not None:
            with self._lock:
                if len(self._entries) >= MAX_ENTRIES:
                    self._entries.clear()
                self._entries[key] = _Entry(generation, now, shipped, built)
        return built if built is not None else self._layers(None, theme, locale, shipped)

    def _build(self, theme: str, locale: str, shipped: NullTranslations) -> NullTranslations | None:
        try:
            with db.session.no_autoflush:
                rows = db.session.execute(
                    select(
                        MessageOverride.msgid,
                        MessageOverride.msgid_plural,
                        MessageOverride.context,
                        MessageOverride.translations,
                    ).where(MessageOverride.locale == locale)
                ).all()
        except SQLAlchemyError:
            # A transaction already failed (an error page is being rendered): the shipped words, uncached.
            log.warning("terminology: overrides unreadable, shipped catalog used", exc_info=True)
            return None
        overrides = (
            translations_of(locale, [(r[0], r[1], r[2], list(r[3] or [])) for r in rows]) if rows else None
        )
        return self._layers(overrides, theme, locale, shipped)

    def _layers(
        self, overrides: Translations | None, theme: str, locale: str, shipped: NullTranslations
    ) -> NullTranslations:
        chain = shipped
        themed = theme_translations(theme, locale, self.themes_root)
        if themed is not None:
            chain = _link(themed, chain)
        if overrides is not None:
            chain = _link(overrides, chain)
        return chain

    def advance(self) -> None:
        """Move the generation on: every process builds its chains again at its next request."""
        with self._lock:
            self._entries.clear()
        self.source.advance()


def terminology_cache(app: Flask | None = None) -> TerminologyCache:
    cache: TerminologyCache = (app or current_app).extensions[_EXTENSION]
    return cache


def forget_in_this_context() -> None:
    """Drop what this request or job already looked up, so that its next string sees a change just made."""
    if has_app_context():
        g.pop(_MEMO, None)


def _theme_of(tenant_id: int) -> str:
    from app.tenancy.models import Tenant

    tenant = g.get("tenant")
    if tenant is None or tenant.id != tenant_id:
        tenant = db.session.get(Tenant, tenant_id)
    key = getattr(tenant, "theme", None) or "default"
    return key if key in available_themes() else "default"


class TerminologyDomain(Domain):
    """Flask-Babel's domain, answering with the current tenant's chain of catalogs."""

    def get_translations(self) -> Any:
        shipped = super().get_translations()
        if not has_app_context() or _EXTENSION not in current_app.extensions:
            return shipped
        tenant_id = tenancy_context.current_tenant_id()
        if tenant_id is None:
            return shipped
        locale = str(get_locale())
        # Looked up once per request (a job, a CLI command: once every few seconds), not once per string.
        memo: dict[tuple[int, str], tuple[float, Any]] = g.setdefault(_MEMO, {})
        now = time.monotonic()
        known = memo.get((tenant_id, locale))
        if known is not None and now - known[0] < MEMO_SECONDS:
            return known[1]
        found = terminology_cache().translations(tenant_id, _theme_of(tenant_id), locale, shipped)
        memo[(tenant_id, locale)] = (now, found)
        return found


def init_app(app: Flask) -> None:
    """Keep this application's chains; Flask-Babel's default domain becomes the terminology domain."""
    from app.extensions import babel

    source: RedisGeneration | FileGeneration
    if app.config.get("REDIS_URL"):
        source = RedisGeneration(app.config["REDIS_URL"], key=REDIS_KEY)
    else:
        source = FileGeneration(Path(app.instance_path) / GENERATION_FILE)
    app.extensions[_EXTENSION] = TerminologyCache(source)
    # Flask-Babel keeps its default domain on the (app-wide) Babel object; every application shares ours.
    if not isinstance(babel.__dict__.get("domain_instance"), TerminologyDomain):
        babel.domain_instance = TerminologyDomain(domain=app.config.get("BABEL_DOMAIN", "messages"))


# -- a change moves the generation on, once it is committed --------------------------------------------


@event.listens_for(Session, "before_flush")
def _note_override_writes(session: Session, flush_context: Any, instances: Any) -> None:
    if any(isinstance(obj, MessageOverride) for obj in (*session.new, *session.deleted, *session.dirty)):
        session.info[_CHANGED_KEY] = True


@event.listens_for(Session, "after_commit")
def _advance_after_commit(session: Session) -> None:
    if not session.info.pop(_CHANGED_KEY, False) or not has_app_context():
        return
    cache = current_app.extensions.get(_EXTENSION)
    if cache is not None:
        cache.advance()
