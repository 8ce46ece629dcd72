"""How learners' pages show a portal's translated texts: in which language, marked up for screen readers.

The words come from the per-request reader (``app.multilingual.reading``); this module only says, around
them, which language they are in when it is not the page's (``lang`` and ``dir``), and isolates names that
sit inside a sentence of another direction (``<bdi>``).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from markupsafe import Markup

from sqlalchemy import select

from app.extensions import db
from app.learning.models import Course
from app.locales import LOCALE_NAMES, RTL_LOCALES
from app.multilingual.kinds import kind_of, portal_locale
from app.multilingual.exchange import to_bcp47
from app.multilingual.reading import Reading, reader
from app.templating import current_locale_code

if TYPE_CHECKING:
    from flask import Flask


def lang_attrs(locale: str | None) -> Markup:
    """`` lang="en" dir="ltr"`` for a container of text in *locale*, or nothing when it is the page's."""
    if not locale:
        return Markup("")
    tag = to_bcp47(locale)
    if tag == current_locale_code():
        return Markup("")
    return Markup(' lang="{}" dir="{}"').format(tag, "rtl" if locale in RTL_LOCALES else "ltr")


def shown_name(obj: Any, name: str = "title") -> Markup:
    """Text *name* of *obj* as this person reads it, in ``<bdi>`` with its language if not the page's.

    Something that is not translatable (a plain summary row) shows its own text.
    """
    if kind_of(obj) is None:
        return Markup("<bdi>{}</bdi>").format(getattr(obj, name, ""))
    shown = reader().shown(obj, name)
    return Markup("<bdi{}>{}</bdi>").format(lang_attrs(shown.locale), shown.text)


def shown_text(obj: Any, name: str = "title") -> str:
    """Text *name* of *obj* as this person reads it (plain, for attributes); its own for a summary row."""
    if kind_of(obj) is None:
        return str(getattr(obj, name, ""))
    return reader().shown(obj, name).text


def language_name(code: str) -> Markup:
    """A language's own name (Español), marked as that language when it is not the page's."""
    attrs = lang_attrs(code)
    name = LOCALE_NAMES.get(code, code)
    return Markup("<span{}>{}</span>").format(attrs, name) if attrs else Markup.escape(name)


def combined_reading(objects: Iterable[Any]) -> Reading | None:
    """How several items read together (a quiz and its questions): the first not in the person's
    language decides the notice, and any text behind its source makes the whole outdated."""
    readings = [reader().reading(obj) for obj in objects]
    if not readings:
        return None
    other = next((r for r in readings if r.fallback), readings[0])
    return Reading(other.locale, other.wanted, any(r.outdated for r in readings))


def readable_courses(summaries: Iterable[Any]) -> dict[int, Course]:
    """The courses behind plain summary rows whose titles may read in another language, by id.

    One query, and none when every course is in the person's language (or the portal's, for a
    person whose language it is), so a portal that translates nothing pays nothing.
    """
    read = reader()
    default = portal_locale()
    wanted = {s.id for s in summaries if read.chain(s.language or default)}
    if not wanted:
        return {}
    return {c.id: c for c in db.session.scalars(select(Course).where(Course.id.in_(sorted(wanted))))}


def init_app(app: Flask) -> None:
    app.add_template_global(lang_attrs)
    app.add_template_global(shown_name)
    app.add_template_global(shown_text)
    app.add_template_global(language_name)
    app.add_template_global(combined_reading)
