"""A page of cards' pieces: due dates and progress bars as the learner's pages write them."""

from __future__ import annotations

from datetime import date, datetime
from types import SimpleNamespace

from app.learning.cards import due_line, progress_line

TODAY = date(2026, 3, 10)


def _due(app, due_on, completed_at=None) -> str:
    with app.test_request_context("/"):
        return str(due_line(SimpleNamespace(due_on=due_on, completed_at=completed_at), TODAY)).strip()


def test_a_due_date_reads_overdue_soon_later_or_was_due_once_done(app):
    assert _due(app, None) == ""
    assert (
        _due(app, date(2026, 3, 1), datetime(2026, 3, 2, 12))
        == '<span class="due">Was due Mar 1, 2026</span>'
    )
    assert _due(app, date(2026, 3, 9)) == (
        '<span class="due due-overdue"><strong>Overdue</strong> · was due Mar 9, 2026</span>'
    )
    assert _due(app, date(2026, 3, 17)) == (
        '<span class="due due-soon"><strong>Due soon</strong> · Mar 17, 2026</span>'
    )
    assert _due(app, date(2026, 3, 18)) == '<span class="due">Due Mar 18, 2026</span>'


def test_a_progress_bar_escapes_its_label(app):
    with app.test_request_context("/"):
        bar = str(progress_line(40, "Progress in <Tom & Jerry>"))
    assert 'value="40" aria-label="Progress in &lt;Tom &amp; Jerry&gt;">40%</progress>' in bar
    assert "<span>40% complete</span>" in bar
