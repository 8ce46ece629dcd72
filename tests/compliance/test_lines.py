"""My team's item lines: the dates kept between requests are each locale's own."""

from __future__ import annotations

from datetime import date

from flask_babel import force_locale

from app.compliance.lines import ItemLines
from app.compliance.status import Kind, Status


def _lines() -> ItemLines:
    heads = {status.value: f"<li>{status.value}: " for status in Status}
    words = ("due \x00", "expires \x00", "\x00 for \x01", "Extend", "Sign off")
    return ItemLines(heads, *words, str, str, False)


def test_a_date_kept_for_one_locale_is_written_anew_for_another(app):
    day = date(2026, 12, 6)
    item = [(Status.overdue, Kind.policy, "Code", day, None, 1, None)]
    with app.test_request_context("/"):
        with force_locale("en"):
            english = str(_lines()(item, "Ana"))
            again = str(_lines()(item, "Ana"))  # kept: the same words
        with force_locale("fr"):
            french = str(_lines()(item, "Ana"))
    assert "(due Dec 6, 2026)" in english and again == english
    assert "(due 6 déc. 2026)" in french
