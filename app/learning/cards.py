"""Pages of cards (the catalog's paths and courses, My learning's enrolments) as their templates write
them: each card's pieces found in one pass, the words every card repeats translated once a page.

A card written by its own macro, its title and phrases found by template helpers, cost a few hundred
Python calls; the catalog's page 1 lists every visible learning path (a hundred on a large portal).
Here a card is a tuple of ready pieces, and the template writes a page of them in one loop. A due line
and a progress bar are written here too (the macros of learning/_macros.html call these), as every
card shows them. Their words are marked with ``N_`` for pybabel and translated once a request.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any, NamedTuple

from flask import g
from flask_babel import get_timezone
from markupsafe import Markup, escape
from sqlalchemy import select

from app.extensions import db
from app.learning.models import LearningPath
from app.learning.services.catalog import CardEnrollment, CatalogPage, CourseCard
from app.learning.translated import shown_name, shown_text
from app.reader_translations import request_catalog, request_translations, translated_once
from app.templating import date_format, day_writer, url_for_ids

if TYPE_CHECKING:
    from flask import Flask


def N_(message: str) -> str:
    """*message* as it is: marks it for pybabel (a default keyword), translated later once a request."""
    return message


_WAS_DUE = N_("Was due %(date)s")
_OVERDUE = N_("Overdue")
_WAS_DUE_ON = N_("was due %(date)s")
_DUE_SOON = N_("Due soon")
_DUE = N_("Due %(date)s")
_PERCENT_COMPLETE = N_("%(percent)d%% complete")
_PROGRESS_IN = N_("Progress in %(title)s")


class PathPiece(NamedTuple):
    """A learning path's card: its address, its title marked up, how many courses it has (in words)."""

    href: str
    title: Markup
    courses: Markup


class CoursePiece(NamedTuple):
    """A course's card (see learning/_macros.html course_cards)."""

    href: str
    title: Markup
    category: str | None
    minutes: Markup | None
    lang: str
    code: str
    from_library: bool
    enrolled: bool
    completed: bool
    progress: Markup | None


def _per_count(translate: Callable[[int], str]) -> Callable[[int], Markup]:
    """*translate(n)* (an ``ungettext``) as the template's ``ngettext`` writes it, found once per *n*."""
    found: dict[int, Markup] = {}

    def phrase(num: int) -> Markup:
        text = found.get(num)
        if text is None:
            # The translation is our own markup, as the template's ngettext makes it; num is a number.
            text = found[num] = Markup(translate(num)) % {"num": num}  # noqa: S704
        return text

    return phrase


def paths_may_read_translated() -> bool:
    """Whether a learning path's title may read translated: paths are written in the portal's language."""
    portal = str(getattr(g.get("tenant"), "default_locale", None) or "en")
    return str(request_catalog()[0] or "en") != portal


def options(values: Iterable[str], chosen: str) -> Markup:
    """A filter's ``<option>`` elements, *chosen* selected: written once a page, not by a loop of tags."""
    written = []
    for value in values:
        shown = escape(value)
        selected = " selected" if value == chosen else ""
        written.append(f'<option dir="auto" value="{shown}"{selected}>{shown}</option>')
    return Markup("".join(written))  # noqa: S704 - every value is escaped


def path_pieces(paths: Iterable[tuple[Any, int]], translated: bool) -> list[PathPiece]:
    """The catalog's learning paths (each with its number of steps) as cards.

    A path is its model when its title may read *translated*, else a plain row (id, title).
    """
    href = url_for_ids("learning.path", "path_id")
    translations = request_translations()
    courses = _per_count(lambda num: translations.ungettext("%(num)d course", "%(num)d courses", num))
    if translated:
        return [PathPiece(href(path.id), shown_name(path), courses(steps)) for path, steps in paths]
    # As shown_name writes a title in the page's language (a blank one is no text), without asking the
    # reader for each path.
    return [
        PathPiece(href(path.id), _bdi(path.title if path.title.strip() else ""), courses(steps))
        for path, steps in paths
    ]


def _bdi(text: str) -> Markup:
    return Markup(f"<bdi>{escape(text)}</bdi>")  # noqa: S704 - the text is escaped


def course_pieces(result: CatalogPage, readable: Mapping[int, Any]) -> list[CoursePiece]:
    """A page of the catalog's courses as cards; *readable*: the courses whose titles may read translated."""
    href = url_for_ids("learning.course", "course_id")
    minutes = minutes_phrase()
    progress_in = translated_once(_PROGRESS_IN, True)
    enrollments: Mapping[int, CardEnrollment] = result.enrollments
    pieces = []
    for course in result.courses:
        titled: CourseCard | Any = readable.get(course.id) or course
        enrollment = enrollments.get(course.id)
        pieces.append(
            CoursePiece(
                href(course.id),
                shown_name(titled),
                course.category,
                minutes(course.duration_minutes) if course.duration_minutes else None,
                str(course.language).replace("_", "-"),
                str(course.language).upper(),
                course.from_library,
                enrollment is not None,
                enrollment is not None and enrollment.completed_at is not None,
                progress_line(enrollment.progress_percent, progress_in % {"title": shown_text(titled)})
                if enrollment is not None and enrollment.completed_at is None
                else None,
            )
        )
    return pieces


# Around the line, the blank lines and indents the due macro (learning/_macros.html) always wrote.
_AROUND = ("\n  \n    \n      ", "\n    \n  \n")
_NO_DUE = Markup("\n  \n")


def due_line(enrollment: Any, today: date) -> Markup:
    """When *enrollment* is (or was) due, in words: overdue, due soon (a week) or due on a day.

    Written here rather than by a macro: My learning shows it for every card and again in its list of
    due dates (a page of cards writes them with :func:`due_lines`).
    """
    due_on = enrollment.due_on
    if not due_on:
        return _NO_DUE
    return _due(due_on, bool(enrollment.completed_at), today, _due_words(), date_format(due_on, "medium"))


def _due_words() -> tuple[str, ...]:
    """The words of a due line, translated (our own catalogues' markup: their variables are escaped)."""
    return tuple(str(translated_once(words)) for words in (_WAS_DUE, _OVERDUE, _WAS_DUE_ON, _DUE_SOON, _DUE))


def _due(due_on: date, completed: bool, today: date, words: tuple[str, ...], when: str) -> Markup:
    """The due line of a day *due_on*, written *when*; *words*: :func:`_due_words`."""
    was_due, overdue, was_due_on, due_soon, due = words
    day = escape(when)
    if completed:
        line = f'<span class="due">{was_due % {"date": day}}</span>'
    elif due_on < today:
        line = (
            f'<span class="due due-overdue"><strong>{overdue}</strong> · {was_due_on % {"date": day}}</span>'
        )
    elif (due_on - today).days <= 7:
        line = f'<span class="due due-soon"><strong>{due_soon}</strong> · {day}</span>'
    else:
        line = f'<span class="due">{due % {"date": day}}</span>'
    return Markup(f"{_AROUND[0]}{line}{_AROUND[1]}")  # noqa: S704 - the day is escaped, the words are markup


def due_lines(today: date) -> Callable[[Any], Markup]:
    """:func:`due_line` for a page of cards: the words translated and each day written once a page, and
    cards due the same day (done or not) share their line."""
    words = _due_words()
    write_day = day_writer("medium")
    written: dict[tuple[date, bool], Markup] = {}

    def line(enrollment: Any) -> Markup:
        due_on = enrollment.due_on
        if not due_on:
            return _NO_DUE
        key = (due_on, bool(enrollment.completed_at))
        found = written.get(key)
        if found is None:
            found = written[key] = _due(due_on, key[1], today, words, write_day(due_on))
        return found

    return line


def progress_line(percent: int, label: str) -> Markup:
    """A progress bar at *percent*, named *label* for screen readers (learning/_macros.html progress_bar)."""
    return _progress(escape(percent), translated_once(_PERCENT_COMPLETE, True) % {"percent": percent}, label)


def _progress(value: str, done: str, label: str) -> Markup:
    return Markup(  # noqa: S704 - every value is escaped
        f'\n  <div class="progress">\n    <progress max="100" value="{value}" aria-label="{escape(label)}">'
        f"{value}%</progress>\n    <span>{done}</span>\n  </div>\n"
    )


def progress_lines() -> Callable[[int, str], Markup]:
    """:func:`progress_line` for a page of cards: each percent's words written once a page."""
    percent_complete = translated_once(_PERCENT_COMPLETE, True)
    written: dict[int, tuple[str, str]] = {}

    def line(percent: int, label: str) -> Markup:
        found = written.get(percent)
        if found is None:
            found = written[percent] = (escape(percent), percent_complete % {"percent": percent})
        return _progress(*found, label)

    return line


def minutes_phrase() -> Callable[[int], Markup]:
    """``ngettext("%(num)d minute", …, n)`` as a template writes it, translated once a page per length."""
    translations = request_translations()
    return _per_count(lambda num: translations.ungettext("%(num)d minute", "%(num)d minutes", num))


def init_app(app: Flask) -> None:
    app.add_template_global(due_line)
    app.add_template_global(progress_line)


class LearningPiece(NamedTuple):
    """One of My learning's cards (and its due date's line in the side list): what the page writes."""

    href: str
    title: Markup
    due: Markup
    minutes: Markup | None
    progress: Markup | None
    resume_href: str


def learning_pieces(
    enrollments: Iterable[Any],
    titles: Mapping[int, Markup],
    readable: Mapping[int, Any],
    today: date,
    minutes: Callable[[int], Markup] | None = None,
) -> dict[int, LearningPiece]:
    """My learning's cards by enrolment id; *titles*: each course's title marked up, by course id;
    *minutes*: a :func:`minutes_phrase` the page shares."""
    course_href = url_for_ids("learning.course", "course_id")
    resume_href = url_for_ids("learning.resume", "enrollment_id")
    minutes = minutes or minutes_phrase()
    due = due_lines(today)
    progress = progress_lines()
    progress_in = str(translated_once(_PROGRESS_IN))

    def progress_label(card: Any) -> Markup:
        # As the template's _() writes it: our own translation, the title escaped.
        title = escape(shown_text(readable.get(card.course_id, card.course)))
        return Markup(progress_in % {"title": title})  # noqa: S704

    return {
        card.id: LearningPiece(
            course_href(card.course_id),
            titles[card.course_id],
            due(card),
            minutes(card.course.duration_minutes) if card.course.duration_minutes else None,
            None if card.completed_at else progress(card.progress_percent, progress_label(card)),
            resume_href(card.id),
        )
        for card in enrollments
    }


_NEXT_IN = N_("Next in %(path)s: %(course)s")


def learning_cards(
    pieces: Mapping[int, LearningPiece],
    next_in_paths: Mapping[int, Iterable[Any]],
    titles: Mapping[int, Markup],
    path_titles: Mapping[int, Markup],
    today: date,
) -> Callable[[Iterable[Any], tuple[Markup, Markup, Markup, Markup]], Markup]:
    """My learning's cards written as the page shows them, one list at a time (assigned, in progress, done).

    A card written by the template's loop cost some seventy calls (each value through the escaping
    runtime); here a card is one string. The list's words (continue, start, review, the completed badge)
    come from the template, which translates them; each card's pieces come from :func:`learning_pieces`,
    the titles of courses and paths (marked up) from *titles* and *path_titles*, by id.
    """
    course_href = url_for_ids("learning.course", "course_id")
    write_day = day_writer("medium")
    zone = get_timezone()

    def completed_on(moment: datetime) -> str:
        # The day it falls on in the reader's time zone, as Flask-Babel's dateformat rebases a moment
        # (its zone found once a page, not once a card).
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        return write_day(zone.normalize(moment.astimezone(zone)).date())

    def next_in(course_id: int) -> str:
        items = next_in_paths.get(course_id)
        if not items:
            return ""
        phrase = translated_once(_NEXT_IN, True)
        written = []
        for item in items:
            words = phrase % {"path": path_titles[item.path_id], "course": titles[item.course.id]}
            href = escape(course_href(item.course.id))
            written.append(f'\n      <p class="next-in-path"><a href="{href}">{words}</a></p>\n      ')
        return "".join(written)

    def write(cards: Iterable[Any], words: tuple[Markup, Markup, Markup, Markup]) -> Markup:
        continue_label, start_label, review_label, completed_badge = words
        written = []
        for card in cards:
            href, title, due, length, progress, resume = pieces[card.id]
            href, resume = escape(href), escape(resume)
            shown_length = f"<span>{length}</span>" if length else ""
            meta = f'<p class="meta">{due}\n      {shown_length}</p>'
            head = f'<h3><a href="{href}">{title}</a></h3>\n    {meta}'
            if not card.completed_at:
                overdue = " card-overdue" if card.due_on and card.due_on < today else ""
                action = continue_label if card.started_at else start_label
                written.append(
                    f'<li class="card{overdue}">\n    {head}\n    \n      {progress}\n'
                    f'      <a class="button button-primary card-action" href="{resume}">\n'
                    f'        {action}<span class="visually-hidden"> {title}</span></a>\n    \n  </li>\n'
                )
            else:
                written.append(
                    f'<li class="card">\n    {head}\n    \n      <p>{completed_badge} '
                    f"{escape(completed_on(card.completed_at))}</p>\n      {next_in(card.course_id)}\n"
                    f'      <a class="button button-secondary card-action" href="{href}">{review_label}'
                    f'<span class="visually-hidden"> {title}</span></a>\n    \n  </li>\n'
                )
        # The addresses are built from ids, every other value is markup written above or escaped here.
        return Markup("".join(written))  # noqa: S704

    return write


def due_dates(cards: Iterable[Any], pieces: Mapping[int, LearningPiece], today: date) -> Markup:
    """My learning's list of due dates (*cards* in order, each with a due date) as the page shows it."""
    written = []
    for card in cards:
        href, title, due = pieces[card.id][:3]
        overdue = "todo-overdue" if card.due_on < today else ""
        written.append(
            f'\n    <li class="{overdue}">\n      <a href="{escape(href)}">{title}</a>\n'
            f'      <p class="meta">{due}</p>\n    </li>\n  '
        )
    return Markup("".join(written))  # noqa: S704 - the address is escaped, the rest is markup


def path_titles(paths: Iterable[tuple[int, str]]) -> dict[int, Markup]:
    """The titles of learning paths (id, title as written) marked up as :func:`shown_name` writes them.

    Paths are written in the portal's language: only a reader of another one needs the paths themselves
    (one statement), to read their titles translated.
    """
    written = dict(paths)
    if not written:
        return {}
    if paths_may_read_translated():
        found = db.session.scalars(select(LearningPath).where(LearningPath.id.in_(sorted(written))))
        return {path.id: shown_name(path) for path in found}
    # As shown_name writes a title in the page's language (a blank one is no text).
    return {path_id: _bdi(title if title.strip() else "") for path_id, title in written.items()}
