"""The reader's translations, found once a request: for templates, dates and the navigation's labels."""

from __future__ import annotations

from typing import Any

from flask.globals import _cv_app
from flask_babel import get_translations, gettext
from flask_babel.speaklater import LazyString
from markupsafe import Markup


def babel_state() -> Any:
    """Flask-Babel's state of this request (its locale and time zone once found), None before or outside one.

    Read from the application context itself: through ``g``'s proxy it cost four calls, paid by every string.
    """
    app_context = _cv_app.get(None)
    return None if app_context is None else app_context.g.__dict__.get("_flask_babel")


def request_catalog() -> tuple[Any, Any, dict[Any, str]]:
    """(locale, translations, translated strings) of this request: found once per request and locale.

    A page calls gettext hundreds of times (a row per person, a badge per lesson); Flask-Babel looks
    the locale and the domain up through several context proxies on every call. The cache sits beside
    Flask-Babel's own locale and is keyed by that locale object, so ``force_locale`` and ``refresh``
    (which replace it) are honoured.
    """
    state = babel_state()
    cached = getattr(state, "atrium_translations", None)
    if cached is None or cached[0] is not getattr(state, "babel_locale", None) or cached[0] is None:
        translations = get_translations()  # finds the locale (and makes the state) when nothing has yet
        state = babel_state()
        cached = (getattr(state, "babel_locale", None), translations, {})
        if state is not None:  # else outside an application context: no translations, nothing kept
            state.atrium_translations = cached
    return cached


def request_translations() -> Any:
    """The reader's translations, found once per request and locale rather than once per string."""
    return request_catalog()[1]


def translated_once(string: str, markup: bool = False) -> str:
    """*string* translated for this request, looked up in the catalogue once a request (a row's words repeat
    on every row); as markup (``Markup``) for a template that escapes."""
    _locale, translations, translated = request_catalog()
    key = (string, markup)
    text = translated.get(key)
    if text is None:
        text = translations.ugettext(string)
        if markup:
            text = Markup(text)  # noqa: S704 - a translation from our own catalogues; its variables are escaped
        translated[key] = text
    return text


def text_of(value: Any) -> str:
    """``str(value)``, a lazily translated string (``lazy_gettext``) through the request's catalogue.

    Labels and badges are lazy strings made at import; ``str()`` of one asks Flask-Babel for the domain,
    the locale and the translations again (about twenty calls), for every row's status word. The same
    words come from the catalogue this request already found, as the templates' ``_()`` does.
    """
    if type(value) is LazyString and value._func is gettext and len(value._args) == 1 and not value._kwargs:
        return translated_once(value._args[0])
    return str(value)
