"""Multilingual content: a portal's own courses, lessons, quizzes, policies and certifications, translated.

Translations are stored per item, language and text with the hash of the source they followed
(``models.py``); ``kinds.py`` says what can be translated; learners read through ``reading.py`` (their
language, else the portal's, else the original, with a notice); ``services.py`` saves and reviews.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask_babel import lazy_gettext as _l

if TYPE_CHECKING:
    from flask import Flask


def init_app(app: Flask) -> None:
    """Register the table, the audit sentences, the template helpers, Admin → Translations and the
    subscriber that gives portals the translations library packages carry."""
    from app import navigation as nav
    from app.accounts import permissions as perms
    from app.library.services.translations import TEXT_CHECKS
    from app.multilingual import (
        audit_sentences,  # noqa: F401 - the audit log's sentences
        catalog_search,  # noqa: F401 - the catalog's search reads translated titles
        models,  # noqa: F401 - the table
        reading,
        subscribers,  # noqa: F401 - library versions bring their translations
        views,
        workspace,
    )
    from app.multilingual.exchange import markup_problems

    if markup_problems not in TEXT_CHECKS:
        TEXT_CHECKS.append(markup_problems)

    app.register_blueprint(views.bp)
    nav.register(
        app,
        nav.NavEntry(
            _l("Translations"),
            "translations.index",
            "/admin/translations",
            nav.may(perms.TRANSLATIONS_MANAGE),
            nav.ADMIN,
            nav.PORTAL,
            order=21,
        ),
    )
    app.add_template_global(workspace.panel_lines, "translation_panel_lines")

    app.add_template_filter(reading.translated, "tr")
    app.add_template_filter(reading.translated_html, "tr_html")
    app.add_template_filter(reading.reads_translated, "reads_translated")
    app.add_template_global(reading.reading_of, "content_reading")
    app.add_template_global(reading.notice_of, "content_notice")
    app.add_template_global(reading.shown_of, "content_shown")
