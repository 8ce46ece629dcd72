"""Library content in a portal's languages: a package's translations become the portal's own.

When a portal receives a library version (``library.deployed``) or upgrades to one
(``library.deployment_upgraded``), the version's translations are written as the portal's translations of
its copy (the course, the version's lessons, its quizzes' questions), each with the hash of the source
text it follows, so the translation workspace shows them like any other and the portal may edit them.

What a portal wrote itself is kept: on an upgrade, a text that differs from what the previous version
shipped is the portal's own and stays (marked outdated when its source changed); texts the library
shipped are replaced by the new version's; languages the library does not ship are left alone. The
course is the same item across versions; an upgrade's lessons are new items, so a portal's own texts
of an old lesson move to the new lesson with the same kind and title.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from app.extensions import db
from app.multilingual import reading
from app.multilingual.kinds import kind_named
from app.multilingual.models import ContentTranslation
from app.multilingual.services import find_translation
from app.text import render_markdown


@dataclass
class _Item:
    """One item of the portal's copy and what the library ships for it, now and in the previous version."""

    obj: Any
    kind_name: str
    shipped: dict[str, dict[str, str]]  # locale -> texts of the version being deployed
    shipped_before: dict[str, dict[str, str]] = field(default_factory=dict)  # of the previous version
    previous: Any = None  # the item the portal's own texts are on (the course itself, an old lesson)


def _part(translations: Mapping[str, Any] | None, part: str, index: int | None = None) -> dict[str, dict]:
    result: dict[str, dict] = {}
    for locale, parts in (translations or {}).items():
        value = (parts or {}).get(part)
        if index is not None:
            value = value[index] if isinstance(value, list) and index < len(value) else None
        if value:
            result[locale] = dict(value)
    return result


def _questions_of(lessons: Sequence[Any]) -> list[Any]:
    """The questions of a copy's assessment lessons, in the order the version lists them."""
    from app.assessments.models import Quiz

    questions: list[Any] = []
    for lesson in lessons:
        if lesson.kind != "assessment":
            continue
        quiz = db.session.get(Quiz, (lesson.content or {}).get("quiz_id"))
        for section in quiz.sections if quiz is not None else []:
            if section.question is not None:
                questions.append(section.question)
            elif section.bank is not None:
                questions.extend(sorted(section.bank.questions, key=lambda q: q.position))
    return questions


def _lessons_of(course: Any, version_id: int) -> list[Any]:
    return sorted((x for x in course.lessons if x.library_version_id == version_id), key=lambda x: x.position)


def give_library_translations(course_id: int, version_id: int, previous_id: int | None = None) -> None:
    """Write a library version's translations as the current portal's translations of its course."""
    from app.learning.models import Course
    from app.library.models import LibraryVersion

    course = db.session.get(Course, course_id)
    version = db.session.get(LibraryVersion, version_id)
    previous = db.session.get(LibraryVersion, previous_id) if previous_id else None
    if course is not None and version is not None:
        give_translations(course, version, previous)


def give_translations(course: Any, version: Any, previous_version: Any = None) -> None:
    """Write *version*'s translations as the portal's translations of its *course*, keeping the portal's own.

    *previous_version* is the version the course had before an upgrade (None on a first deployment).
    """
    translations = version.translations or {}
    before = previous_version.translations if previous_version is not None else {}
    items = [_Item(course, "course", _part(translations, "course"), _part(before, "course"), course)]
    old_lessons = _lessons_of(course, previous_version.id) if previous_version is not None else []
    for index, lesson in enumerate(_lessons_of(course, version.id)):
        match = next(
            (old for old in old_lessons if old.kind == lesson.kind and old.title == lesson.title), None
        )
        items.append(
            _Item(
                lesson,
                "lesson",
                _part(translations, "lessons", index),
                _part(before, "lessons", old_lessons.index(match)) if match is not None else {},
                match,
            )
        )
    for index, question in enumerate(_questions_of(_lessons_of(course, version.id))):
        items.append(_Item(question, "question", _part(translations, "questions", index)))
    for item in items:
        _write(item, str(course.language or version.language))
    db.session.flush()
    reading.forget_in_this_context()


def _write(item: _Item, source_locale: str) -> None:
    kind = kind_named(item.kind_name)
    assert kind is not None
    fields = {f.name: f for f in kind.fields(item.obj)}
    item_id = kind.item_id(item.obj)
    own_rows: dict[str, ContentTranslation] = {}
    if item.previous is not None:
        own_rows = {
            row.locale: row
            for row in db.session.scalars(
                select(ContentTranslation).where(
                    ContentTranslation.kind == kind.name,
                    ContentTranslation.item_id == kind.item_id(item.previous),
                )
            )
        }
    for locale in sorted(set(item.shipped) | set(own_rows)):
        if locale == source_locale:
            continue
        texts: dict[str, str] = {}
        hashes: dict[str, str] = {}
        html: dict[str, str] = {}
        for name, text in item.shipped.get(locale, {}).items():
            if name in fields and text.strip():
                texts[name], hashes[name] = text, fields[name].source_hash
                if fields[name].markdown:
                    html[name] = render_markdown(text)
        old = own_rows.get(locale)
        shipped_before = item.shipped_before.get(locale, {})
        own_texts = (old.fields or {}) if old is not None else {}
        own_hashes = (old.source_hashes or {}) if old is not None else {}
        own_html = (old.html or {}) if old is not None else {}
        for name, text in own_texts.items():
            if name in fields and text != shipped_before.get(name):  # the portal's own text: it stays
                texts[name] = text
                hashes[name] = own_hashes.get(name, "")  # so it shows outdated when its source moved on
                if name in own_html:
                    html[name] = own_html[name]
        same_item = item.previous is item.obj and old is not None
        row = old if same_item else find_translation(kind, item_id, locale)
        if row is None:
            if not texts:
                continue
            row = ContentTranslation(
                kind=kind.name, item_id=item_id, locale=locale, fields={}, html={}, source_hashes={}
            )
            db.session.add(row)
        if (row.fields or {}) != texts or (row.source_hashes or {}) != hashes:
            row.fields, row.html, row.source_hashes = texts, html, hashes
            row.reviewed_at = None
            row.reviewed_by_id = None
