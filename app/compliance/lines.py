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

from app.reader_translations import request_translations, translated_once
from app.templating import day_writer

#: Where the template's phrases take a name (a backslash cannot be written inside an f-string's braces).
_NAME = "\x00"
#: A number no id reaches, put in an address once to find where a row's id goes in it.
_ID_MARK = 987654321987654321


def escaped_href(href: Callable[[Any], str]) -> tuple[str, str]:
    """The escaped text before and after the id of the addresses *href* builds (``url_for_ids``): a row
    writes its id (a number, nothing to escape) between them instead of escaping its whole address."""
    prefix, _mark, suffix = str(escape(href(_ID_MARK))).rpartition(str(_ID_MARK))
    return prefix, suffix


# The phrases of a row with a number, for PersonRows (``phrases``): each translated once a page for each
# number, as the template's ``ngettext()`` and ``_()`` write them (markup: the number alone is put in),
# without a template macro's call around each. Named as Babel's extractor finds the words.
def ngettext(singular: str, plural: str, num: int) -> str:
    return str(Markup(request_translations().ungettext(singular, plural, num)) % {"num": num})  # noqa: S704


def _(string: str, **variables: int) -> str:
    return str(translated_once(string, True) % variables)


ROW_PHRASES: dict[str, Callable[[int], str]] = {
    "more": lambda n: ngettext("%(num)d more open item", "%(num)d more open items", n),
    "done": lambda n: ngettext("%(num)d item done", "%(num)d items done", n),
    "reminded": lambda n: _("Reminded %(n)d min ago", n=n),
    "last_reminded": lambda n: _("Last reminded %(n)d min ago", n=n),
}


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
        self.extend_href, self.extend_path_href = escaped_href(extend_href), escaped_href(extend_path_href)
        self.may_assign = may_assign
        # A page's people share their items: each title escaped once a page.
        self.titles: dict[str, str] = {}
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
        titles, heads = self.titles, self.heads
        for status, kind, title, due_on, expires_on, ref_id, enrollment_id in items:
            shown = titles.get(title)
            if shown is None:
                shown = titles[title] = str(escape(title))
            line = f"\n      {heads[status]}<bdi>{shown}</bdi>"
            if due_on:
                when = self.due_words.get(due_on) or self._dated(due_on, self.due_date, self.due_words)
                line += f" <small>({when})</small>"
            elif expires_on:
                when = self.expiry_words.get(expires_on) or self._dated(
                    expires_on, self.expiry_date, self.expiry_words
                )
                line += f" <small>({when})</small>"
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
                # The address's id is a number: written between its escaped parts as it is.
                before, after = self.extend_href if kind == "course" else self.extend_path_href
                number = int(enrollment_id if kind == "course" else ref_id)
                hidden = self.due_date_of.replace("\x00", shown).replace("\x01", person)
                line += (
                    f' <a href="{before}{number}{after}">{self.extend}<span class="visually-hidden"> {hidden}'
                    "</span></a>"
                )
            lines.append(line + "\n      </li>")
        return Markup("".join(lines))  # noqa: S704 - the template's escaped words and values escaped above


class PersonRows:
    """Writes the ``<tr>`` of a page's people as ``compliance/_list.html`` words them, a row in one go.

    Written by the template, a row cost some 275 calls: an escape for every constant word, two
    ``replace`` filters and a dozen tests. Here the words come escaped once from the template (*words*:
    the cells' labels and the standing, remind and no-email phrases), each row escapes only its name,
    job title and place, and the phrases with a number (*more*, *done*, *reminded*, *last_reminded*:
    the template's macros) are written once for each number.
    """

    def __init__(
        self,
        words: Mapping[str, str],
        lines: Callable[[Iterable[tuple[Any, ...]], str], Markup],
        person_href: Callable[[Any], str],
        remind_href: Callable[[Any], str],
        csrf: str,
        filter_fields: str,
        phrases: Mapping[str, Callable[[int], str]],
        remind_every_minutes: int,
        may_assign: bool,
    ) -> None:
        w = {key: str(word) for key, word in words.items()}
        self.select_name, self.of_name = w["select_name"], w["of_name"]
        self.select_cell = f'<td data-label="{w["select"]}">' if may_assign else None
        self.person_cell = f'\n    <td data-label="{w["person"]}"><a href="'
        standing = f'</td>\n    <td data-label="{w["standing"]}">'
        self.standings = {
            "nothing": f"{standing}{w['nothing']}</td>",
            "compliant": (
                f'{standing}<span class="compliance compliance-done"><span aria-hidden="true">✓</span> '
                f"{w['compliant']}</span></td>"
            ),
            "not_compliant": (
                f'{standing}<strong class="compliance compliance-overdue"><span aria-hidden="true">⚠</span> '
                f"{w['not_compliant']}</strong></td>"
            ),
        }
        self.required_cell = f'\n    <td data-label="{w["required"]}"><ul class="plain compliance-items">'
        self.actions_cell = f'\n    </ul></td>\n    <td data-label="{w["actions"]}">\n      '
        self.form_middle = (
            f'" class="inline">\n        {csrf}\n        {filter_fields}\n'
            f'        <button type="submit" class="button button-secondary">{w["remind"]}'
            '<span class="visually-hidden"> '
        )
        self.no_email = f'<p class="hint">{w["no_email"]}</p>'
        self.just_now = f'\n        <p class="hint">{w["just_now"]}</p>\n      '
        self.lines = lines
        self.person_href, self.remind_href = escaped_href(person_href), escaped_href(remind_href)
        self.phrases = phrases
        self.written: dict[tuple[str, int], str] = {}
        self.remind_every_minutes = remind_every_minutes

    def _phrase(self, which: str, n: int) -> str:
        """The template's phrase *which* for the number *n*, written once a page for each number."""
        found = self.written.get((which, n))
        if found is None:
            found = self.written[which, n] = str(self.phrases[which](n))
        return found

    def __call__(self, rows: Iterable[tuple[Any, ...]]) -> Markup:
        """The rows of *rows* (the page's ``Row`` tuples)."""
        out = []
        for values in rows:
            person_id, name, job_title, location, email, required, compliant, items, more, done, reminded = (
                values
            )
            pid = int(person_id)
            shown = escape(name)
            href = f"{self.person_href[0]}{pid}{self.person_href[1]}"
            row = f'\n  \n  <tr id="person-{pid}">\n    '
            if self.select_cell is not None:
                row += (
                    f'{self.select_cell}<input type="checkbox" name="people" value="{pid}" id="select-{pid}" '
                    f'form="assign-form" aria-label="{self.select_name.replace(_NAME, shown)}"></td>'
                )
            row += f'{self.person_cell}{href}"><bdi>{shown}</bdi></a>'
            if job_title or location:
                row += "<br><small>"
                if job_title:
                    row += f"<bdi>{escape(job_title)}</bdi>"
                if job_title and location:
                    row += " · "
                if location:
                    row += f"<bdi>{escape(location)}</bdi>"
                row += "</small>"
            standing = "nothing" if not required else "compliant" if compliant else "not_compliant"
            row += self.standings[standing]
            row += f"{self.required_cell}{self.lines(items, name)}"
            if more:
                row += (
                    f'\n      <li class="compliance-more"><a href="{href}">{self._phrase("more", more)}'
                    f'<span class="visually-hidden"> {self.of_name.replace(_NAME, shown)}</span></a></li>'
                )
            if done:
                row += (
                    '<li class="compliance compliance-done"><span aria-hidden="true">✓</span> '
                    f"{self._phrase('done', done)}</li>"
                )
            row += self.actions_cell
            if reminded is not None and reminded < self.remind_every_minutes:
                row += (
                    self.just_now
                    if reminded < 1
                    else f'\n        <p class="hint">{self._phrase("reminded", reminded)}</p>\n      '
                )
            else:
                before, after = self.remind_href
                row += (
                    f'\n      <form method="post" action="{before}{pid}{after}{self.form_middle}'
                    f"{shown}</span></button>\n      </form>\n      "
                    f"{'' if email else self.no_email}\n      "
                )
                if reminded is not None:
                    row += f'<p class="hint">{self._phrase("last_reminded", reminded)}</p>'
                row += "\n      "
            out.append(row + "\n    </td>\n  </tr>\n")
        return Markup("".join(out))  # noqa: S704 - the template's escaped words and values escaped above
