"""My team's item lines, written for a page's rows at once: the words come from the template, the rows
fill in titles, dates and links.

A page shows up to 75 items; written by the template, each line cost some seventy calls (an escape for
every value, two ``replace`` filters for the hidden "the due date of … for …", a lookup per word). Here
a line is one string built from values escaped once, with the template's own words and markup.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import date
from typing import Any

from flask import url_for
from markupsafe import Markup, escape

from app.templating import day_writer


class ItemLines:
    """Writes the ``<li>`` of a row's open items as ``compliance/_list.html`` words them.

    *heads* is the start of a line for each status (its icon and word); *due_date*, *expiry_date* and
    *due_date_of* are translated phrases with "\\x00" (then "\\x01") where a date, a title or a name goes.
    """

    def __init__(
        self,
        heads: Mapping[str, str],
        due_date: str,
        expiry_date: str,
        due_date_of: str,
        extend: str,
        sign_off: str,
        extend_href: Callable[[Any], str],
        extend_path_href: Callable[[Any], str],
        may_assign: bool,
    ) -> None:
        # All markup already (the template's escaped words): kept as plain text to be joined.
        self.heads = {status: str(head) for status, head in heads.items()}
        self.due_date, self.expiry_date, self.due_date_of = str(due_date), str(expiry_date), str(due_date_of)
        self.extend, self.sign_off = str(extend), str(sign_off)
        self.extend_href, self.extend_path_href = extend_href, extend_path_href
        self.may_assign = may_assign
        # "due 6 Dec 2026" once for each date of the page, however many items fall due on it.
        self.due_words: dict[date, str] = {}
        self.expiry_words: dict[date, str] = {}
        self._write_day: Callable[[date], str] | None = None

    def _dated(self, day: date, phrase: str, words: dict[date, str]) -> str:
        found = words.get(day)
        if found is None:
            # The medium format of the reader's locale, as ``date_format`` writes it and keeps it between
            # requests (the locale found once for the page).
            if self._write_day is None:
                self._write_day = day_writer("medium")
            found = words[day] = phrase.replace("\x00", escape(self._write_day(day)))
        return found

    def __call__(self, items: Iterable[tuple[Any, ...]], name: str) -> Markup:
        """The lines of *items* (a row's ``ItemLine`` tuples) of the person called *name*."""
        lines = []
        person = None
        for status, kind, title, due_on, expires_on, ref_id, enrollment_id in items:
            shown = escape(title)
            line = f"\n      {self.heads[status]}<bdi>{shown}</bdi>"
            if due_on:
                line += f" <small>({self._dated(due_on, self.due_date, self.due_words)})</small>"
            elif expires_on:
                line += f" <small>({self._dated(expires_on, self.expiry_date, self.expiry_words)})</small>"
            if kind == "checkpoint":
                if person is None:
                    person = escape(name)
                link = url_for("checkpoints.sign_off", enrollment_id=enrollment_id, lesson_id=ref_id)
                line += (
                    f' <a href="{escape(link)}">{self.sign_off}'
                    f'<span class="visually-hidden"> {shown}, {person}</span></a>'
                )
            elif self.may_assign and (kind == "course" or kind == "path"):
                if person is None:
                    person = escape(name)
                href = self.extend_href(enrollment_id) if kind == "course" else self.extend_path_href(ref_id)
                hidden = self.due_date_of.replace("\x00", shown).replace("\x01", person)
                line += (
                    f' <a href="{escape(href)}">{self.extend}<span class="visually-hidden"> {hidden}'
                    "</span></a>"
                )
            lines.append(line + "\n      </li>")
        return Markup("".join(lines))  # noqa: S704 - the template's escaped words and values escaped above
