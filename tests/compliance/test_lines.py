"""My team's item lines: the dates kept between requests are each locale's own."""

from __future__ import annotations

from datetime import date

from flask_babel import force_locale

from app.compliance.lines import ItemLines, PersonRows
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


def _rows(may_assign: bool = True) -> PersonRows:
    words = {
        key: key.upper()
        for key in ("select", "person", "standing", "required", "actions", "remind", "nothing", "compliant")
    }
    words |= {
        "not_compliant": "NOT COMPLIANT",
        "just_now": "Just now",
        "no_email": "No email",
        "select_name": "Select \x00",
        "of_name": "of \x00",
    }
    phrases = {
        "more": lambda n: f"{n} more",
        "done": lambda n: f"{n} done",
        "reminded": lambda n: f"Reminded {n} min ago",
        "last_reminded": lambda n: f"Last reminded {n} min ago",
    }
    return PersonRows(
        words,
        _lines(),
        lambda pid: f"/team/people/{pid}",
        lambda pid: f"/remind/{pid}",
        "<csrf>",
        "",
        phrases,
        60,
        may_assign,
    )


def test_a_row_escapes_the_persons_name_job_title_and_place_once_each(app):
    row = (7, "Ana <b>&</b>", "Cook & co", "Dock <1>", None, True, False, [], 2, 3, None)
    with app.test_request_context("/"):
        written = str(_rows()([row]))
    assert 'aria-label="Select Ana &lt;b&gt;&amp;&lt;/b&gt;"' in written
    assert "<bdi>Cook &amp; co</bdi> · <bdi>Dock &lt;1&gt;</bdi>" in written
    assert '<a href="/team/people/7">2 more<span class="visually-hidden"> of Ana &lt;b&gt;' in written
    assert "✓</span> 3 done</li>" in written and "NOT COMPLIANT" in written
    assert "<b>" not in written and "No email" in written  # no address: the inbox gets the reminder


def test_a_row_says_when_its_person_was_reminded(app):
    def row(reminded: int | None, email: str | None = "a@example.com") -> tuple[object, ...]:
        return (7, "Ana", None, None, email, False, True, [], 0, 0, reminded)

    with app.test_request_context("/"):
        write = _rows(may_assign=False)
        just_now, recent, long_ago, never = (str(write([row(n)])) for n in (0, 12, 95, None))
    assert "Just now" in just_now and "<form" not in just_now
    assert "Reminded 12 min ago" in recent and "<form" not in recent
    assert "Last reminded 95 min ago" in long_ago and 'action="/remind/7"' in long_ago
    assert "reminded" not in never.lower() and "<form" in never and "No email" not in never
    assert "select" not in never.lower() and "NOTHING" in never  # no checkbox without the assign right


def test_a_rows_phrases_with_a_number_read_as_the_templates_words_in_the_readers_language(app):
    from flask import render_template_string

    from app.compliance.lines import ROW_PHRASES

    template = (
        '{{ ngettext("%(num)d more open item", "%(num)d more open items", n) }}|'
        '{{ ngettext("%(num)d item done", "%(num)d items done", n) }}|'
        '{{ _("Reminded %(n)d min ago", n=n) }}|{{ _("Last reminded %(n)d min ago", n=n) }}'
    )
    with app.test_request_context("/"), force_locale("fr"):
        for n in (1, 2, 12):
            written = "|".join(
                ROW_PHRASES[which](n) for which in ("more", "done", "reminded", "last_reminded")
            )
            assert written == render_template_string(template, n=n)
        assert ROW_PHRASES["more"](2) == "2 autres éléments non terminés"
        assert ROW_PHRASES["reminded"](12) == "Relance envoyée il y a 12 min"
