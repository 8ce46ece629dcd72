"""The component macros render the same markup everywhere: status badges, data tables, the CSRF field."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import render_template_string
from flask_babel import force_locale, gettext

IMPORT = '{% from "components/macros.html" import csrf_field, data_table, row_header, status_badge %}'

# status → (the words shown, as their source msgid; the class after "badge")
BADGES = {
    "active": ("Active", "badge-active"),
    "deactivated": ("Deactivated", "badge-deactivated"),
    "suspended": ("Suspended", "badge-suspended"),
    "published": ("Published", "badge-active"),
    "draft": ("Draft", "badge-draft"),
    "accepted": ("Accepted", "badge-active"),
    "asks_everyone": ("asks everyone", "badge-active"),
    "completed": ("Completed", "badge-active"),
    "done": ("Done", "badge-active"),
    "locked": ("Locked", "badge-locked"),
    "up_next": ("Up next", None),
    "passed": ("Passed", "badge-active"),
    "not_passed": ("Not passed", "badge-deactivated"),
    "right": ("Right", "badge-active"),
    "partly_right": ("Partly right", None),
    "not_right": ("Not right", "badge-deactivated"),
}


def render(app: Any, source: str, **context: Any) -> str:
    with app.test_request_context("/"):
        return render_template_string(IMPORT + source, **context).strip()


@pytest.mark.parametrize(("status", "expected"), BADGES.items())
def test_a_status_badge_shows_its_words_and_colour(app, status, expected):
    text, tone = expected
    classes = f"badge {tone}" if tone else "badge"
    assert (
        render(app, "{{ status_badge(status) }}", status=status) == f'<span class="{classes}">{text}</span>'
    )


@pytest.mark.parametrize("status", BADGES)
def test_a_status_badge_speaks_the_pages_language_with_the_existing_translation(app, status):
    with app.test_request_context("/"), force_locale("fr"):
        translated = gettext(BADGES[status][0])
        badge = render_template_string(IMPORT + "{{ status_badge(status) }}", status=status)
    assert f">{translated}</span>" in badge


def test_badges_are_translated_in_french(app):
    with app.test_request_context("/"), force_locale("fr"):
        badge = render_template_string(IMPORT + '{{ status_badge("not_passed") }}')
    assert "Not passed" not in badge


def test_a_status_badge_may_take_another_tone_or_stand_as_a_paragraph(app):
    assert render(app, '{{ status_badge("locked", tone="") }}') == '<span class="badge">Locked</span>'
    assert (
        render(app, '{{ status_badge("completed", tag="p") }}')
        == '<p class="badge badge-active">Completed</p>'
    )


def test_an_unknown_status_is_shown_as_it_is(app):
    assert (
        render(app, '{{ status_badge("archived") }}') == '<span class="badge badge-archived">archived</span>'
    )


def test_a_status_badge_escapes_what_it_is_given(app):
    assert "<script>" not in render(app, "{{ status_badge(status) }}", status="<script>")


def test_the_csrf_field_carries_the_sessions_token(app):
    with app.test_request_context("/"):
        from flask_wtf.csrf import generate_csrf

        html = render_template_string(IMPORT + "{{ csrf_field() }}").strip()
        assert html == f'<input type="hidden" name="csrf_token" value="{generate_csrf()}">'


TABLE = """{% call(row) data_table(caption, columns, rows, empty=empty, classes=classes) %}
<tr><td data-label="Name">{{ row }}</td></tr>
{% endcall %}"""


def test_a_data_table_has_a_caption_column_headers_and_a_row_per_record(app):
    html = render(
        app, TABLE, caption="People", columns=["Name", "Email"], rows=["Ana", "Bo"], empty=None, classes=None
    )
    assert html.startswith('<div class="table-wrap"><table>') and html.endswith("</table></div>")
    assert '<caption class="visually-hidden">People</caption>' in html
    assert '<thead><tr><th scope="col">Name</th><th scope="col">Email</th></tr></thead>' in html
    assert re.findall(r'<td data-label="Name">(\w+)</td>', html) == ["Ana", "Bo"]
    assert html.count("<tbody>") == 1 and "empty-state" not in html


def test_an_empty_data_table_shows_its_message_instead(app):
    html = render(app, TABLE, caption="People", columns=["Name"], rows=[], empty="Nobody yet.", classes=None)
    assert html == '<p class="empty-state">Nobody yet.</p>'
    assert render(app, TABLE, caption="People", columns=["Name"], rows=[], empty=None, classes=None) == ""


def test_a_data_table_takes_a_class_a_visible_caption_and_a_header_only_screen_readers_need(app):
    source = (
        '{% call data_table("Sessions", ["Device", {"label": "Actions", "hidden": true}],'
        ' classes="stack", caption_hidden=false) %}'
        "{% for s in rows %}<tr><td>{{ loop.index }}</td></tr>{% endfor %}"
        "{% endcall %}"
    )
    html = render(app, source, rows=["a", "b"])
    assert '<table class="stack">' in html and "<caption>Sessions</caption>" in html
    assert '<th scope="col"><span class="visually-hidden">Actions</span></th>' in html
    assert "<td>1</td></tr><tr><td>2</td>" in html


def test_a_data_table_of_one_records_fields_has_row_headers_and_no_column_headers(app):
    source = (
        "{% call data_table(none, none, wrap=false) %}"
        '<tr>{{ row_header("Policy") }}<td>Safety</td></tr>'
        "{% endcall %}"
    )
    html = render(app, source)
    assert html.startswith("<table>") and "<thead>" not in html and "<caption" not in html
    assert '<tr><th scope="row">Policy</th><td>Safety</td></tr>' in html
