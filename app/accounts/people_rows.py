"""The People list's rows (Admin → People), written for a page at once: the words, the address and the
status badges come from the template, the rows fill in names, job titles, emails and units.

Written by the template, a row cost some hundred calls: the table's call of the row block, an escape
for each of its four column labels on every row and one for each value, and a lookup for each of its
fields. Here a row is one string of its values, each escaped once, between labels escaped once a page.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from markupsafe import Markup, escape

# An id no person has, put into the person's address once to find where each row's id goes.
_ID_MARK = 987654321987654321


def people_rows(
    rows: Iterable[Sequence[Any]],
    labels: tuple[str, str, str, str],
    person_href: Callable[[Any], str],
    status_badge: Callable[[str], str],
) -> Markup:
    """The ``<tr>`` of each person of :func:`~app.accounts.services.people_page`'s rows (a search's total
    last).

    *labels* are the columns' translated names (name, email, unit, status: each cell's ``data-label``);
    *person_href* writes a person's address from their id; *status_badge* is the components' macro,
    called once for each status of the page.
    """
    name_label, email_label, unit_label, status_label = (escape(label) for label in labels)
    prefix, _mark, suffix = str(escape(person_href(_ID_MARK))).rpartition(str(_ID_MARK))
    badges: dict[str, Markup] = {}
    lines = []
    for person_id, full_name, job_title, email, status, unit_name, *_total in rows:
        badge = badges.get(status)
        if badge is None:
            badge = badges[status] = escape(status_badge(status))
        title = f"<br><small><bdi>{escape(job_title)}</bdi></small>" if job_title else ""
        unit = escape("—" if unit_name is None else unit_name)
        lines.append(
            f'\n    <tr>\n      <td data-label="{name_label}"><a href="{prefix}{int(person_id)}{suffix}">'
            f"<bdi>{escape(full_name)}</bdi></a>{title}</td>"
            f'\n      <td data-label="{email_label}"><bdi>{escape(email or "—")}</bdi></td>'
            f'\n      <td data-label="{unit_label}"><bdi>{unit}</bdi></td>'
            f'\n      <td data-label="{status_label}">{badge}</td>\n    </tr>\n'
        )
    return Markup("".join(lines))  # noqa: S704 - the labels, badges and every value escaped above
