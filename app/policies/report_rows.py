"""The Policies report's rows, written for a page at once: the words come from the template, the rows
fill in names, emails, times and addresses.

A page shows up to fifty people who accepted and fifty who have not. Written by the template, an
accepted row cost some 145 calls: an escape for each of its five column labels on every row, one for
each value, and Babel's seventy-odd for its time. Here a row is one string of its values, each escaped
once, between labels escaped once for the page; its time is written from the words of its hour.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from datetime import date, datetime, timedelta
from typing import Any

from babel import dates as babel_dates
from flask_babel import get_locale, get_timezone
from markupsafe import Markup, escape

from app.templating import datetime_format, iso

# The fields of a time that change with its hour alone (the hour itself, AM/PM), and those that are the
# minute or the second in digits: Babel writes those as "%0*d". Any other field (a time zone's name, the
# flexible "noon", fractions of a second) leaves each moment to the template's filter.
_HOURLY_FIELDS = frozenset("hHKkams")
_CLOCK_FIELDS = frozenset("ms")
_FIELD = re.compile(r"%\((\w+)\)s")


class MomentWords:
    """``datetimeformat(format)``'s text for the many moments of one page (the reader's language and zone),
    escaped for HTML.

    Babel writes the words of each hour once (its day's date, the hour, AM or PM), escaped once; a moment
    of that hour then only puts in its minute and second, digits. An hour whose clock does not move with
    the reader's (a change of offset inside it, an offset of part of an hour) and a format with other
    fields (a zone's name, "noon") are written by the filter, moment by moment. The first moment is also
    checked against the filter: on any difference, the filter writes each.
    """

    def __init__(self, format: str = "medium") -> None:
        self.format = format
        # (zone, year, month, day, hour) of a moment as stored -> its hour's escaped text, "%0Nd" where the
        # minute and then the second go, or None when the filter writes that hour's moments.
        self._hours: dict[tuple[Any, int, int, int, int], str | None] = {}
        self._days: dict[date, str] = {}
        self._parts: tuple[Any, Any, str, Any, Any] | None = None
        self._by_filter = False

    def _prepare(self) -> tuple[Any, Any, str, Any, Any] | None:
        """The locale, zone and parsed patterns the filter uses; None for a format with other fields."""
        from flask_babel import _get_format  # the app's configured formats, resolved as the filter does

        locale, zone = get_locale(), get_timezone()
        chosen = _get_format("datetime", self.format)
        if locale is None or zone is None or chosen not in ("full", "long", "medium", "short"):
            return None
        time_pattern = babel_dates.parse_pattern(babel_dates.get_time_format(chosen, locale=locale))
        fields = [key[0] for key in _FIELD.findall(str(time_pattern.format))]
        # Its minute then its second, put into each moment's text in that order.
        if any(field not in _HOURLY_FIELDS for field in fields) or [f for f in fields if f in "ms"] != [
            "m",
            "s",
        ]:
            return None
        combined = str(babel_dates.get_datetime_format(chosen, locale=locale)).replace("'", "")
        date_pattern = babel_dates.parse_pattern(babel_dates.get_date_format(chosen, locale=locale))
        return locale, zone, combined, date_pattern, time_pattern

    def _hour(self, value: datetime) -> str | None:
        """The escaped text of *value*'s hour, "%0Nd" for its minute and second; None if they are not the
        reader's (the reader's clock does not run with the stored one through that hour)."""
        assert self._parts is not None
        locale, zone, combined, date_pattern, time_pattern = self._parts
        start = value.replace(minute=0, second=0, microsecond=0)
        end = start + timedelta(minutes=59, seconds=59)
        local_start = babel_dates._ensure_datetime_tzinfo(start, zone)  # as format_datetime does
        local_end = babel_dates._ensure_datetime_tzinfo(end, zone)
        if (
            local_start.minute
            or local_start.second
            or local_end.replace(tzinfo=None) - local_start.replace(tzinfo=None) != end - start
        ):
            return None
        day = local_start.date()
        day_text = self._days.get(day)
        if day_text is None:
            day_text = self._days[day] = str(escape(date_pattern.apply(day, locale)))
        hour_words = babel_dates.DateTimeFormat(local_start, locale)

        def field(match: re.Match[str]) -> str:
            key = match.group(1)
            if key[0] in _CLOCK_FIELDS:
                return f"%0{len(key)}d"
            return str(escape(hour_words[key])).replace("%", "%%")

        # The pattern's own text escaped too ("%%" is a "%" of it, kept for the row's "%").
        pattern_text = str(escape(str(time_pattern.format))).replace("%%", "\x00")
        time_text = _FIELD.sub(field, pattern_text).replace("\x00", "%%")
        text = str(escape(combined)).replace("%", "%%")
        return text.replace("{0}", time_text).replace("{1}", day_text.replace("%", "%%"))

    def __call__(self, value: datetime) -> str:
        """*value* as ``value|datetimeformat(format)`` writes it, escaped."""
        if type(value) is datetime and not self._by_filter:
            # Where the value is stored, not the reader: its hour's words are found without converting it.
            key = (value.tzinfo, value.year, value.month, value.day, value.hour)
            text = self._hours.get(key, "")
            if text:
                return text % (value.minute, value.second)
            if text == "" and self._known(value, key):
                return self(value)
        return str(escape(datetime_format(value, self.format)))

    def _known(self, value: datetime, key: tuple[Any, int, int, int, int]) -> bool:
        """Learn *value*'s hour (False: the filter writes it), checking the first against the filter."""
        first = self._parts is None
        if first:
            self._parts = self._prepare()
            if self._parts is None:
                self._by_filter = True
                return False
        text = self._hours[key] = self._hour(value)
        if (
            first
            and text is not None
            and text % (value.minute, value.second) != escape(datetime_format(value, self.format))
        ):
            self._by_filter = True
            return False
        return text is not None


def accepted_rows(
    rows: Iterable[tuple[str, str | None, str, datetime, str | None]],
    labels: tuple[str, str, str, str, str],
    moment_words: Callable[[datetime], str] | None = None,
) -> Markup:
    """The ``<tr>`` of each person who accepted: name, email, signed as, accepted at, IP address.

    *labels* are the columns' translated names (each cell's ``data-label``), escaped here once.
    """
    name_label, email_label, signed_label, accepted_label, ip_label = (escape(label) for label in labels)
    words = moment_words or MomentWords("medium")
    return Markup(  # noqa: S704 - the labels and every value escaped here
        "".join(
            f'\n    <tr>\n      <td data-label="{name_label}"><bdi>{escape(name)}</bdi></td>'
            f'\n      <td data-label="{email_label}">{escape(email or "—")}</td>'
            f'\n      <td data-label="{signed_label}"><bdi>{escape(signature)}</bdi></td>'
            f'\n      <td data-label="{accepted_label}"><time datetime="{escape(iso(accepted_at))}">'
            f"{words(accepted_at)}</time></td>"
            f'\n      <td data-label="{ip_label}">{escape(ip or "—")}</td>\n    </tr>\n'
            for name, email, signature, accepted_at, ip in rows
        )
    )


def pending_rows(rows: Iterable[tuple[str, str | None]], labels: tuple[str, str], due_cell: str) -> Markup:
    """The ``<tr>`` of each person who has not accepted yet: name, email and *due_cell*.

    *due_cell* is the template's markup (the same for everyone listed); *labels* are escaped here once.
    """
    name_label, email_label = (escape(label) for label in labels)
    due = escape(due_cell)  # markup already: kept as it is
    return Markup(  # noqa: S704 - the labels and every value escaped here, the due cell the template's markup
        "".join(
            f'\n    <tr>\n      <td data-label="{name_label}"><bdi>{escape(name)}</bdi></td>'
            f'\n      <td data-label="{email_label}">{escape(email or "—")}</td>\n      {due}\n    </tr>\n'
            for name, email in rows
        )
    )
