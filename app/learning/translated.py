"""How learners' pages show a portal's translated texts: in which language, marked up for screen readers.

The words come from the content reader that ``app.multilingual`` registers as template helpers (the
``tr`` filter, the ``content_reading`` and ``content_shown`` globals); they are looked up there, not imported,
because the multilingual registry of translatable kinds imports this feature's models. This module only says,
around the words, which language they are in when it is not the page's (``lang``, ``dir``), and isolates names
that sit inside a sentence of another direction (``<bdi>``).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from flask import current_app, g
from flask_babel import get_locale
from markupsafe import Markup, escape
from sqlalchemy import select

from app.extensions import db
from app.learning.models import Course
from app.learning.services.catalog import CourseCard, CourseSummary
from app.locales import LOCALE_NAMES, RTL_LOCALES
from app.templating import current_locale_code

if TYPE_CHECKING:
    from flask import Flask

_PLAIN_ROWS = (CourseCard, CourseSummary)  # a page of cards reads plain rows, not translatable models


def lang_attrs(locale: str | None) -> Markup:
    """`` lang="en" dir="ltr"`` for a container of text in *locale*, or nothing when it is the page's."""
    if not locale:
        return Markup("")
    tag = str(locale).replace("_", "-")
    if tag == current_locale_code():
        return Markup("")
    return Markup(' lang="{}" dir="{}"').format(tag, "rtl" if locale in RTL_LOCALES else "ltr")


def shown_text(obj: Any, name: str = "title") -> str:
    """Text *name* of *obj* as this person reads it (plain, for attributes); its own for a plain row."""
    if isinstance(obj, _PLAIN_ROWS):
        return str(getattr(obj, name, ""))
    return str(current_app.jinja_env.filters["tr"](obj, name))


def shown_name(obj: Any, name: str = "title") -> Markup:
    """Text *name* of *obj* as this person reads it, in ``<bdi>`` with its language if not the page's."""
    # Escaped and joined directly, not with Markup.format: a page of cards calls this for every row.
    if isinstance(obj, _PLAIN_ROWS):
        return Markup(f"<bdi>{escape(getattr(obj, name, ''))}</bdi>")  # noqa: S704 - the text is escaped
    shown = current_app.jinja_env.globals["content_shown"](obj, name)  # type: ignore[operator]
    return Markup(f"<bdi{lang_attrs(shown.locale)}>{escape(shown.text)}</bdi>")  # noqa: S704 - as above


def language_name(code: str) -> Markup:
    """A language's own name (Español), marked as that language when it is not the page's."""
    attrs = lang_attrs(code)
    name = LOCALE_NAMES.get(code, code)
    return Markup("<span{}>{}</span>").format(attrs, name) if attrs else Markup.escape(name)


def reading_locales() -> tuple[str, ...]:
    """The languages this person may read a course's texts in: their own, then the portal's (each once)."""
    locale = str(get_locale() or "en")
    default = str(getattr(g.get("tenant"), "default_locale", None) or "en")
    return (locale,) if locale == default else (locale, default)


def readable_courses(summaries: Iterable[Any]) -> dict[int, Course]:
    """The courses behind plain rows whose titles may read in another language than written, by id.

    One query, and none when every course is written in the person's language, so a portal whose
    learners read the original pays nothing.
    """
    locale = str(get_locale() or "en")
    default = str(getattr(g.get("tenant"), "default_locale", None) or "en")
    wanted = {s.id for s in summaries if (s.language or default) != locale}
    if not wanted:
        return {}
    return {c.id: c for c in db.session.scalars(select(Course).where(Course.id.in_(sorted(wanted))))}


def init_app(app: Flask) -> None:
    app.add_template_global(lang_attrs)
    app.add_template_global(shown_name)
    app.add_template_global(shown_text)
    app.add_template_global(language_name)
