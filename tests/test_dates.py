"""Moments in every shipped language and time zone read exactly as Babel writes them."""

from __future__ import annotations

from datetime import UTC, datetime

import flask_babel
import pytest
from flask import g

from app.locales import LOCALE_NAMES
from app.templating import date_format, datetime_format, day_writer

MOMENTS = [
    datetime(2026, 1, 1, 0, 0, tzinfo=UTC),
    datetime(2026, 3, 29, 0, 59, 59, tzinfo=UTC),  # an hour before Europe's clocks go forward
    datetime(2026, 10, 25, 1, 30, tzinfo=UTC),  # and as they go back
    datetime(2026, 12, 31, 23, 30, 15),  # a naive one, read as UTC
    datetime(1999, 7, 4, 12, 0, 7, 123456, tzinfo=UTC),
]
ZONES = ["UTC", "Europe/Madrid", "America/Argentina/Buenos_Aires", "Asia/Kolkata", "Pacific/Chatham"]
FORMATS = [None, "short", "medium", "long", "full", "yyyy-MM-dd HH:mm", "EEEE d MMMM 'at' h:mm a zzz"]


@pytest.mark.parametrize("locale", sorted(LOCALE_NAMES))
def test_a_reports_moments_read_as_babel_writes_them_in_every_language_and_zone(app, locale):
    with app.test_request_context(), flask_babel.force_locale(locale):
        g.started = True  # Flask-Babel keeps its per-request state on a non-empty g
        for zone in ZONES:
            flask_babel.refresh()
            vars(g._flask_babel)["babel_tzinfo"] = flask_babel.timezone(zone)
            for moment in MOMENTS:
                for format in FORMATS:
                    expected = flask_babel.format_datetime(moment, format)
                    assert datetime_format(moment, format) == expected, (zone, moment, format)
                    assert datetime_format(moment, format) == expected  # again, from the kept patterns


@pytest.mark.parametrize("locale", sorted(LOCALE_NAMES))
def test_the_day_of_a_moment_reads_as_babel_writes_it_in_the_readers_zone(app, locale):
    """dateformat of a moment (a completion, an award) is the day it falls on where the reader is."""
    with app.test_request_context(), flask_babel.force_locale(locale):
        g.started = True
        for zone in ZONES:
            flask_babel.refresh()
            vars(g._flask_babel)["babel_tzinfo"] = flask_babel.timezone(zone)
            for moment in MOMENTS:
                for format in [None, "short", "medium", "long", "full", "yyyy-MM-dd"]:
                    expected = flask_babel.format_date(moment, format)
                    assert date_format(moment, format) == expected, (zone, moment, format)
                    assert date_format(moment.date(), format) == flask_babel.format_date(
                        moment.date(), format
                    )


def test_a_value_that_is_not_a_moment_is_left_to_babel(app):
    with app.test_request_context():
        g.started = True
        assert datetime_format(datetime(2026, 5, 3, 14, 0, tzinfo=UTC), "yyyy") == "2026"
        assert datetime_format(1_000_000_000, "yyyy") == flask_babel.format_datetime(1_000_000_000, "yyyy")


@pytest.mark.parametrize(
    ("locale", "expected"),
    [
        ("en", "people, the units inside it, and a course"),
        ("ar", "people وthe units inside it وa course"),  # Arabic's "and" is written onto the next word
        ("de", "people, the units inside it und a course"),
    ],
)
def test_a_list_in_a_sentence_is_joined_as_the_readers_language_joins_it(app, locale, expected):
    from app.templating import list_format

    with app.test_request_context(), flask_babel.force_locale(locale):
        assert list_format(["people", "the units inside it", "a course"]) == expected
        assert list_format(["people"]) == "people"


def test_a_pages_moments_of_the_same_few_days_each_read_their_own_day_and_time(app):
    """A day's date text is kept for the request: rows on either side of local midnight keep their own day."""
    with app.test_request_context(), flask_babel.force_locale("en"):
        g.started = True
        for zone in ("UTC", "Pacific/Chatham", "America/Argentina/Buenos_Aires"):
            flask_babel.refresh()
            vars(g._flask_babel)["babel_tzinfo"] = flask_babel.timezone(zone)
            moments = [
                datetime(2026, 5, 3, hour, minute, tzinfo=UTC) for hour in range(24) for minute in (0, 59)
            ]
            for moment in moments + moments:
                for format in ("medium", "short", "EEEE d MMMM 'at' h:mm a zzz"):
                    assert datetime_format(moment, format) == flask_babel.format_datetime(moment, format)


def test_a_day_kept_between_requests_reads_in_each_readers_language(app):
    """Days are kept between requests by locale and format: the next reader's language is honoured."""
    day = datetime(2026, 12, 6, tzinfo=UTC).date()
    written = {}
    for locale in ("en", "de", "ar", "en", "fr", "de"):  # each again after the others were kept
        with app.test_request_context(), flask_babel.force_locale(locale):
            g.started = True
            for format in ("medium", "full", "yyyy-MM-dd"):
                assert date_format(day, format) == flask_babel.format_date(day, format), (locale, format)
            written[locale] = date_format(day, "long")
            assert day_writer("long")(day) == written[locale]  # a page's many days, the locale found once
    assert written["en"] == "December 6, 2026"
    assert written["de"] == "6. Dezember 2026"
    assert len(set(written.values())) == 4


def test_a_moments_kept_day_follows_each_readers_time_zone(app):
    """The same moment is another day in another zone: the zone is applied before the kept day is read."""
    moment = datetime(2026, 12, 6, 23, 30, tzinfo=UTC)
    seen = []
    for zone in ("UTC", "Pacific/Chatham", "America/Argentina/Buenos_Aires", "UTC"):
        with app.test_request_context(), flask_babel.force_locale("en"):
            g.started = True
            flask_babel.refresh()
            vars(g._flask_babel)["babel_tzinfo"] = flask_babel.timezone(zone)
            assert date_format(moment, "medium") == flask_babel.format_date(moment, "medium"), zone
            assert datetime_format(moment, "medium") == flask_babel.format_datetime(moment, "medium"), zone
            seen.append(date_format(moment, "medium"))
    assert seen == ["Dec 6, 2026", "Dec 7, 2026", "Dec 6, 2026", "Dec 6, 2026"]
