"""The translation workspace: what is left to translate, export files of it, import translated files back."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select

from app import audit
from app.errors import ValidationErrors
from app.extensions import db
from app.locales import LOCALE_NAMES
from app.multilingual import services
from app.multilingual.exchange import (
    ExchangeError,
    Unit,
    markup_problems,
    read_exchange_file,
    to_locale,
    write_po,
    write_xliff,
)
from app.multilingual.kinds import Kind, all_kinds, kind_named, portal_locale
from app.multilingual.models import ContentTranslation
from app.multilingual.services import ItemState

STATUSES = ("missing", "partial", "outdated", "complete", "reviewed")
SCOPES = ("todo", "all", "course")
FORMATS = ("xliff", "po")


@dataclass(frozen=True)
class Row:
    """One item in the workspace list: its kind, instance, id, title and state in the chosen language."""

    kind: Kind
    obj: Any
    item_id: int
    title: str
    state: ItemState

    @property
    def status(self) -> str:
        return "reviewed" if self.state.reviewed else self.state.status


@dataclass
class Overview:
    """Counts per kind and status, and the items in the chosen language (items written in it left out)."""

    counts: dict[str, dict[str, int]]
    rows: list[Row]


def _items(kind: Kind) -> list[Any]:
    return list(db.session.scalars(kind.items()).unique())


def states_of(kind: Kind, locale: str, items: Iterable[Any] | None = None) -> list[Row]:
    """The rows of *kind*'s items that have texts and are not written in *locale*: two queries per kind."""
    objs = [
        o
        for o in (_items(kind) if items is None else items)
        if kind.source_locale(o) != locale and kind.fields(o)
    ]
    states = services.states_in(kind, objs, locale)
    return [
        Row(kind, o, kind.item_id(o), kind.title(o), states[kind.item_id(o)])
        for o in objs
        if kind.item_id(o) in states
    ]


def overview(locale: str) -> Overview:
    """Every kind's items in *locale* with their status, and the number per status of each kind."""
    counts: dict[str, dict[str, int]] = {}
    rows: list[Row] = []
    for kind in all_kinds():
        kind_rows = states_of(kind, locale)
        tally = dict.fromkeys(STATUSES, 0)
        for row in kind_rows:
            tally[row.state.status] += 1
            tally["reviewed"] += row.state.reviewed
        counts[kind.name] = tally
        rows += kind_rows
    return Overview(counts, rows)


def matches(row: Row, status: str) -> bool:
    if status == "reviewed":
        return row.state.reviewed
    return row.state.status == status


# --- export -----------------------------------------------------------------------------------------------


def course_items(course: Any) -> list[tuple[Kind, list[Any]]]:
    """A course with its lessons, and its quizzes' quiz and questions (fixed ones and their pools' banks)."""
    from app.assessments.models import Question, Quiz, QuizSection

    course_kind, lesson_kind = kind_named("course"), kind_named("lesson")
    quiz_kind, question_kind = kind_named("quiz"), kind_named("question")
    assert course_kind and lesson_kind and quiz_kind and question_kind
    lessons = list(course.lessons)
    quiz_ids = {
        int(lesson.content["quiz_id"])
        for lesson in lessons
        if lesson.kind == "assessment" and str((lesson.content or {}).get("quiz_id", "")).isdigit()
    }
    quizzes = list(db.session.scalars(select(Quiz).where(Quiz.id.in_(quiz_ids)).order_by(Quiz.title)))
    sections = list(db.session.scalars(select(QuizSection).where(QuizSection.quiz_id.in_(quiz_ids))))
    question_ids = {s.question_id for s in sections if s.question_id}
    bank_ids = {s.bank_id for s in sections if s.bank_id}
    questions = list(
        db.session.scalars(
            select(Question)
            .where(Question.active.is_(True))
            .where(Question.id.in_(question_ids) | Question.bank_id.in_(bank_ids))
            .order_by(Question.bank_id, Question.position)
        )
    )
    return [(course_kind, [course]), (lesson_kind, lessons), (quiz_kind, quizzes), (question_kind, questions)]


def export_units(locale: str, scope: str, course: Any = None) -> list[Unit]:
    """The units of an export into *locale*: everything, what is missing or outdated, or one course's texts.

    Only items written in the portal's language are exported: a file has one source language.
    """
    source = portal_locale()
    groups = (
        course_items(course) if scope == "course" and course is not None else [(k, None) for k in all_kinds()]
    )
    units: list[Unit] = []
    for kind, items in groups:
        chosen = [o for o in (_items(kind) if items is None else items) if kind.source_locale(o) == source]
        for row in states_of(kind, locale, chosen):
            label = f"{kind.label}: {row.title}"
            for state in row.state.fields:
                if scope == "todo" and not (state.missing or state.outdated):
                    continue
                units.append(
                    Unit(
                        id=f"{kind.name}.{row.item_id}.{state.field.name}",
                        group=f"{kind.name}.{row.item_id}",
                        group_label=label,
                        source=state.field.text,
                        target=state.translation or None,
                        source_hash=state.field.source_hash,
                        note=str(state.field.label),
                    )
                )
    return units


def export_file(locale: str, file_format: str, units: list[Unit]) -> bytes:
    """The file of *units* in XLIFF 2.0 or PO; ExchangeError when there is nothing to translate."""
    if not units:
        raise ExchangeError(_("There is no text to translate."))
    writer = write_po if file_format == "po" else write_xliff
    return writer(units, source_locale=portal_locale(), target_locale=locale)


# --- import -----------------------------------------------------------------------------------------------


@dataclass
class ImportReport:
    """What an import did: texts changed, unchanged, skipped (untranslated), refused; whether it applied."""

    locale: str = ""
    error: str = ""
    changed: list[tuple[str, str]] = field(default_factory=list)  # item title, field label
    unchanged: int = 0
    skipped: list[tuple[str, str]] = field(default_factory=list)  # unit id, item title
    refused: list[tuple[str, str, str]] = field(default_factory=list)  # unit id, item title, reason
    applied: bool = False


@dataclass
class _Accepted:
    kind: Kind
    obj: Any
    title: str
    texts: dict[str, str] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)


def _resolve(unit_id: str) -> tuple[Kind, Any, str] | None:
    kind_name, _dot, rest = unit_id.partition(".")
    raw_id, _dot, field_name = rest.partition(".")
    kind = kind_named(kind_name)
    if kind is None or not raw_id.isdigit() or not 0 < int(raw_id) < 2**31 or not field_name:
        return None
    obj = kind.load(int(raw_id))
    if obj is None or (kind.name == "question" and not getattr(obj, "active", True)):
        return None
    return kind, obj, field_name


def _units(data: bytes, filename: str, report: ImportReport) -> list[Unit] | None:
    try:
        exchange = read_exchange_file(filename, data)
        target, source = to_locale(exchange.target_locale), to_locale(exchange.source_locale or "-")
    except ExchangeError as error:
        report.error = str(error)
        return None
    report.locale = target
    if source != portal_locale():
        report.error = _(
            "The file translates from %(file)s, but this portal's texts are written in %(portal)s.",
            file=exchange.source_locale,
            portal=portal_locale(),
        )
        return None
    if target not in services.translatable_locales(source):
        report.error = _(
            "This portal does not offer the language “%(locale)s”.", locale=exchange.target_locale
        )
        return None
    return exchange.units


def _check(unit: Unit, locale: str, accepted: dict[tuple[str, int], _Accepted], report: ImportReport) -> None:
    found = _resolve(unit.id)
    if found is None:
        report.refused.append((unit.id, "", _("unknown id")))
        return
    kind, obj, name = found
    title = kind.title(obj)
    fields = {f.name: f for f in kind.fields(obj)}
    source = fields.get(name)
    if source is None or kind.source_locale(obj) != portal_locale():
        report.refused.append((unit.id, title, _("unknown id")))
        return
    if not (unit.target or "").strip():
        report.skipped.append((unit.id, title))
        return
    stale = unit.source_hash != source.source_hash if unit.source_hash else unit.source != source.text
    if stale:
        report.refused.append(
            (unit.id, title, _("stale source: the text changed since the file was exported"))
        )
        return
    target = unit.target or ""
    problems = markup_problems(source.text, target)
    if problems:
        report.refused.append((unit.id, title, " ".join(problems)))
        return
    key = (kind.name, kind.item_id(obj))
    entry = accepted.setdefault(key, _Accepted(kind, obj, title))
    entry.texts[name] = target
    entry.labels[name] = str(source.label)


def import_file(filename: str, data: bytes, *, apply_valid: bool, by: Any) -> ImportReport:
    """Check every unit of an uploaded file; apply them all at once, or none if one is refused.

    With *apply_valid* the refused units are left out and the others applied. Every text goes through
    ``services.save_translation``, one call per item, inside one savepoint: a failure undoes them all.
    """
    report = ImportReport()
    units = _units(data, filename, report)
    if units is None:
        return report
    locale = report.locale
    accepted: dict[tuple[str, int], _Accepted] = {}
    for unit in units:
        _check(unit, locale, accepted, report)
    if report.refused and not apply_valid:
        return report
    rows = {
        (r.kind, r.item_id): r
        for key_kind in {k for k, _i in accepted}
        for r in db.session.scalars(
            select(ContentTranslation).where(
                ContentTranslation.kind == key_kind,
                ContentTranslation.locale == locale,
                ContentTranslation.item_id.in_([i for k, i in accepted if k == key_kind]),
            )
        )
    }
    changes: list[tuple[_Accepted, dict[str, str]]] = []
    for key, entry in accepted.items():
        state = services.item_state(entry.kind, entry.obj, locale, rows.get(key), looked_up=True)
        current = {s.field.name: s for s in state.fields}
        texts = {
            name: text
            for name, text in entry.texts.items()
            if text != current[name].translation or current[name].outdated
        }
        report.unchanged += len(entry.texts) - len(texts)
        if texts:
            changes.append((entry, texts))
    try:
        with db.session.begin_nested():
            for entry, texts in changes:
                services.save_translation(entry.kind, entry.obj, locale, texts, by=by)
                report.changed += [(entry.title, entry.labels[name]) for name in texts]
    except ValidationErrors as errors:
        report.changed = []
        report.error = " ".join(e.message for e in errors.errors)
        return report
    report.applied = True
    audit.record(
        "content.imported",
        target=None,
        after={
            "locale": locale,
            "file": filename[:200],
            "changed": len(report.changed),
            "unchanged": report.unchanged,
            "skipped": len(report.skipped),
            "refused": len(report.refused),
        },
    )
    return report


# --- the panel on admin edit pages --------------------------------------------------------------------------


@dataclass(frozen=True)
class PanelLine:
    locale: str
    name: str
    status: str
    kind: str
    item_id: int


def panel_lines(obj: Any) -> list[PanelLine]:
    """The status of *obj*'s translation in each of the portal's languages but its own: one query."""
    from app.multilingual.kinds import kind_of

    kind = kind_of(obj)
    if kind is None or getattr(obj, "id", None) is None:
        return []
    item_id = kind.item_id(obj)
    rows = {
        r.locale: r
        for r in db.session.scalars(
            select(ContentTranslation).where(
                ContentTranslation.kind == kind.name, ContentTranslation.item_id == item_id
            )
        )
    }
    lines = []
    for locale in services.translatable_locales(kind.source_locale(obj)):
        state = services.item_state(kind, obj, locale, rows.get(locale), looked_up=True)
        status = "reviewed" if state.reviewed else state.status
        lines.append(PanelLine(locale, LOCALE_NAMES.get(locale, locale), status, kind.name, item_id))
    return lines
