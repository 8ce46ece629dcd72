"""What every template may use: the locale, the navigation, labels, permissions and date filters."""

from __future__ import annotations

from collections.abc import Callable, Hashable
from datetime import UTC, date, datetime
from typing import Any

from babel import dates as babel_dates
from babel import lists as babel_lists
from flask import Flask, current_app, g, url_for
from flask.globals import _cv_request
from flask_babel import (
    format_date,
    format_datetime,
    format_timedelta,
    get_locale,
    get_timezone,
    to_user_timezone,
)
from flask_login import current_user
from jinja2 import pass_eval_context
from jinja2.nodes import EvalContext
from markupsafe import Markup

from app.kept import kept
from app.labels import badge, label
from app.locales import RTL_LOCALES, switchable_locales
from app.navigation import admin_navigation, main_navigation
from app.reader_translations import babel_state, request_translations, translated_once
from app.tenancy.branding import brand_version
from app.tenancy.themes import current_theme_key, get_theme


def current_locale_code() -> str:
    """The reader's language as HTML writes it (``pt-BR``), read where Flask-Babel keeps it."""
    reader = _reader_locale()
    if reader is None:
        locale = get_locale()  # outside a request: Flask-Babel's own answer (None)
        return str(locale).replace("_", "-") if locale else "en"
    return reader[1].replace("_", "-")


def iso(value: Any) -> str:
    """An ISO 8601 timestamp with its offset, for <time datetime>."""
    if value is None:
        return ""
    if not hasattr(value, "hour"):
        return str(value.isoformat())  # a date
    # HTML allows at most three digits of a second: microseconds make the attribute invalid.
    return str(value.isoformat(timespec="seconds"))


def bdi(value: Any) -> Markup:
    """Isolate user content's direction inside a translated sentence: English names in Arabic text."""
    return Markup("<bdi>{}</bdi>").format(value)


def relative_time(value: Any) -> str:
    """Say how long ago (or until) *value* is, in the reader's language: "3 hours ago"."""
    if value is None:
        return ""
    return format_timedelta(value - datetime.now(UTC), add_direction=True)


@pass_eval_context
def template_gettext(eval_ctx: EvalContext, string: str, **variables: Any) -> str:
    """``_()`` and ``gettext()`` in templates: Jinja's newstyle gettext without its extra indirections.

    A string is translated once a request (a row's labels repeat on every row). As Jinja's newstyle
    gettext, a translation is markup where the template escapes, and "%%" is "%" even with nothing to
    substitute; formatting Markup costs, so a plain text skips it.
    """
    text = translated_once(string, eval_ctx.autoescape)
    return text % variables if variables or "%" in text else text


@pass_eval_context
def template_ngettext(eval_ctx: EvalContext, singular: str, plural: str, num: int, **variables: Any) -> str:
    """``ngettext()`` in templates, as Jinja's newstyle one: ``%(num)d`` is always available."""
    variables.setdefault("num", num)
    text = request_translations().ungettext(singular, plural, num)
    if eval_ctx.autoescape:
        text = Markup(text)  # noqa: S704 - a translation from our own catalogues; its variables are escaped
    return text % variables


_NAMED_FORMATS = ("full", "long", "medium", "short")

# Parsed patterns and written days, kept between requests: a page's dates repeat from request to request
# (due dates, this week's days), and Flask-Babel takes some forty calls to write one. What a day reads as
# depends on the locale and the format alone: the formats are the application's (one Flask-Babel instance
# a process), the time zone has already turned a moment into its day, nothing stored is read.
_kept_patterns: dict[Hashable, Any] = {}
_kept_days: dict[Hashable, str] = {}
_DAYS_KEPT = 4096


def _date_pattern(locale: Any, format: str | None) -> Any:
    """The parsed pattern Babel's ``format_date`` would use for *format* in *locale*."""
    from flask_babel import _get_format  # the app's configured formats, resolved as Flask-Babel does

    chosen = _get_format("date", format)
    if chosen in _NAMED_FORMATS:
        chosen = babel_dates.get_date_format(chosen, locale=locale)
    return babel_dates.parse_pattern(chosen)


def _reader_locale() -> tuple[Any, str] | None:
    """The request's locale and its code (``en_GB``), where Flask-Babel keeps it; None outside a request."""
    state = babel_state()
    locale = getattr(state, "babel_locale", None)
    found = getattr(state, "atrium_locale", None)
    if found is not None and found[0] is locale and locale is not None:
        return found
    if locale is None:
        try:
            locale = get_locale()  # which remembers it on the request's state
        except RuntimeError:  # outside an application context
            return None
        state = babel_state()
        if locale is None or state is None:
            return None
    found = state.atrium_locale = (locale, str(locale))
    return found


def written_day(day: date, format: str | None, locale: Any, code: str) -> str:
    """*day* as *locale* (whose code is *code*) writes it in *format*, kept between requests."""
    key = (code, format, day)
    written = _kept_days.get(key)
    if written is None:
        pattern = kept(_kept_patterns, ("date", code, format), lambda: _date_pattern(locale, format))
        written = str(pattern.apply(day, locale))
        if len(_kept_days) >= _DAYS_KEPT:
            _kept_days.clear()
        _kept_days[key] = written
    return written


def day_writer(format: str | None) -> Callable[[Any], str]:
    """``date_format(day, format)`` for a page's many days: the reader's locale found once, not per day."""
    reader = _reader_locale()
    if reader is None:
        return lambda day: date_format(day, format)
    locale, code = reader
    return lambda day: (
        written_day(day, format, locale, code) if type(day) is date else date_format(day, format)
    )


def date_format(value: Any, format: str | None = None) -> str:
    """Flask-Babel's ``dateformat``: a day written once for its locale and format, then kept between
    requests (a due date a row, the same few days page after page).

    A moment is the day it falls on in the reader's time zone, as Flask-Babel rebases it."""
    if isinstance(value, datetime):
        try:
            value = to_user_timezone(value).date()
        except RuntimeError:  # outside a request
            return str(format_date(value, format))
    if type(value) is not date:
        return str(format_date(value, format))
    reader = _reader_locale()
    if reader is None:
        return str(format_date(value, format))
    return written_day(value, format, *reader)


def _moment_patterns(locale: Any, format: str | None) -> Any:
    """The parsed patterns Babel's ``format_datetime`` would use for *format* in *locale*."""
    from flask_babel import (
        _get_format,
    )  # the app's configured formats (Babel(date_formats=...)), resolved as it does

    chosen = _get_format("datetime", format)
    if chosen in _NAMED_FORMATS:
        return (
            str(babel_dates.get_datetime_format(chosen, locale=locale)).replace("'", ""),
            babel_dates.parse_pattern(babel_dates.get_date_format(chosen, locale=locale)),
            babel_dates.parse_pattern(babel_dates.get_time_format(chosen, locale=locale)),
        )
    return (None, babel_dates.parse_pattern(chosen), None)


def datetime_format(value: Any, format: str | None = None) -> str:
    """Flask-Babel's ``datetimeformat`` (the reader's language and time zone), its patterns parsed once a
    process instead of for every row: the same text, a third of the work.

    The locale and time zone are read where Flask-Babel keeps them for the request (found by it the first
    time). The moment is rebased to the reader's zone for every call; only then is its day's text taken
    from the days kept between requests (a day's text depends on the locale and format alone), so a
    page of rows from the same few days formats only their times.
    """
    if not isinstance(value, datetime):
        return str(format_datetime(value, format))
    try:
        state = g.get("_flask_babel")
    except RuntimeError:  # outside a request
        return str(format_datetime(value, format))
    zone = getattr(state, "babel_tzinfo", None)
    if zone is None:
        zone = get_timezone()  # which remembers it on the request's state
        if zone is None:
            return str(format_datetime(value, format))
    reader = _reader_locale()
    if reader is None:
        return str(format_datetime(value, format))
    locale, code = reader
    combined, date_pattern, time_pattern = kept(
        _kept_patterns, ("datetime", code, format), lambda: _moment_patterns(locale, format)
    )
    moment = babel_dates._ensure_datetime_tzinfo(value, zone)  # as format_datetime does
    if combined is None:
        return str(date_pattern.apply(moment, locale))
    day = moment.date()
    key = (code, ("datetime", format), day)
    day_text = _kept_days.get(key)
    if day_text is None:
        day_text = str(date_pattern.apply(day, locale))
        if len(_kept_days) >= _DAYS_KEPT:
            _kept_days.clear()
        _kept_days[key] = day_text
    return str(combined.replace("{0}", time_pattern.apply(moment, locale)).replace("{1}", day_text))


def list_format(values: Any) -> str:
    """Words joined as the reader's language joins a list ("a, b and c"; Arabic "أ و ب و ج")."""
    words = [str(v) for v in values]
    try:
        locale = get_locale()
    except RuntimeError:  # outside a request
        locale = None
    return str(babel_lists.format_list(words, locale=locale or "en"))


def has_permission(permission: str) -> bool:
    return bool(current_user and current_user.is_authenticated and current_user.can(permission))


def _page_globals() -> dict[str, object]:
    return {
        "rtl_locales": RTL_LOCALES,
        "theme": get_theme(current_theme_key()),
        "brand_version": brand_version(g.get("tenant")),
    }


# The layout's addresses, built once for each place the application is served (host, script root) and
# brand (theme, brand version): eight ``url_for`` a page cost a tenth of the signed-in floor. Static files'
# addresses carry their content hash, which only a deploy changes; in debug they are built every time.
_kept_layout_links: dict[Hashable, dict[str, str]] = {}


def _build_layout_links(theme_key: str, version: str) -> dict[str, str]:
    return {
        "css": url_for("static", filename="css/atrium.css"),
        "theme_css": url_for("tenancy.theme_static", theme=theme_key, filename="theme.css"),
        "brand_css": url_for("tenancy.brand_css", v=version),
        "favicon": url_for("tenancy.favicon", v=version),
        "htmx": url_for("static", filename="vendor/htmx.min.js"),
        "js": url_for("static", filename="js/atrium.js"),
        "crew_js": url_for("static", filename="js/crew.js"),
        "home": url_for("accounts.home"),
        "logo": url_for("tenancy.brand_image", kind="logo", v=version),
        "account": url_for("accounts.account"),
        "sign_out": url_for("accounts.sign_out"),
    }


def layout_links(theme_key: str, version: str) -> dict[str, str]:
    """The addresses ``layout.html`` links to, for the theme *theme_key* and the brand *version*."""
    if current_app.debug:
        return _build_layout_links(theme_key, version)
    here = _cv_request.get().request  # once, rather than through the proxy for each value
    key = (here.host, here.script_root, theme_key, version)
    return kept(_kept_layout_links, key, lambda: _build_layout_links(theme_key, version))


_ID_MARK = 987654321987  # stands for the id while the address is built; no real id reaches it


def url_for_ids(endpoint: str, field: str, **values: Any) -> Callable[[Any], str]:
    """``url_for(endpoint, field=id)`` for many ids, built once: a page's rows each format an id.

    The address comes from ``url_for`` (the script root, the rule), so only the id changes per row.
    """
    prefix, _mark, suffix = url_for(endpoint, **{**values, field: _ID_MARK}).rpartition(str(_ID_MARK))
    return lambda value: f"{prefix}{int(value)}{suffix}"


def init_app(app: Flask) -> None:
    """Give every template the app-wide globals, filters and per-page values."""
    app.add_template_global(current_locale_code)
    app.add_template_filter(iso, "iso")
    app.add_template_filter(bdi, "bdi")
    app.add_template_filter(relative_time, "relative_time")
    app.add_template_global(label)
    app.add_template_global(badge)
    app.add_template_filter(date_format, "dateformat")
    app.add_template_filter(list_format, "listformat")
    app.add_template_filter(datetime_format, "datetimeformat")
    app.jinja_env.install_gettext_callables(  # type: ignore[attr-defined]  # added by jinja2.ext.i18n
        gettext=lambda s: request_translations().ugettext(s),
        ngettext=lambda s, p, n: request_translations().ungettext(s, p, n),
        newstyle=True,
        pgettext=lambda c, s: request_translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: request_translations().unpgettext(c, s, p, n),
    )
    app.jinja_env.globals.update(_=template_gettext, gettext=template_gettext, ngettext=template_ngettext)
    app.add_template_global(main_navigation)
    app.add_template_global(admin_navigation)
    app.add_template_global(switchable_locales)
    app.context_processor(_page_globals)
    app.add_template_global(has_permission)
    app.add_template_global(url_for_ids)
    app.add_template_global(layout_links)
