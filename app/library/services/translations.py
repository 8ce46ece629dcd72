"""A package's translations, checked in a draft.

A version may carry ``{locale: {"course": {field: text}, "lessons": [{field: text}, ...],
"questions": [{field: text}, ...]}}`` (lessons by position, questions by position across the version's
quizzes). The portals that receive the version get them as their own translations of their copy: the
multilingual feature listens to ``library.deployed`` and ``library.deployment_upgraded``
(``app/multilingual/library.py``), as certifications do for a package's certification.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from flask_babel import gettext as _

from app.errors import ValidationError
from app.locales import LOCALE_NAMES, is_known_locale

MAX_TEXT = 100_000
COURSE_FIELDS = ("title", "description")
LESSON_FIELDS = {"page": ("title", "markdown"), "video": ("title", "transcript"), "assessment": ("title",)}
#: What else a translated text must keep of its source (placeholders, links, tags), each returning the
#: problems in the person's language; the multilingual feature adds its check when it starts.
TEXT_CHECKS: list[Callable[[str, str], list[str]]] = []
QUESTION_FIELD_RE = re.compile(
    r"^(prompt|feedback_correct|feedback_incorrect|option\.[\w-]+\.(text|feedback)|item\.[\w-]+\.text"
    r"|pair\.[\w-]+\.(left|right))$"
)


def _texts(raw: Any, allowed: Any, where: str) -> dict[str, str]:
    if raw in (None, ""):
        return {}
    if not isinstance(raw, Mapping):
        raise ValidationError(_("The translations are not in the expected shape."), field="translations")
    texts: dict[str, str] = {}
    for name, text in raw.items():
        ok = QUESTION_FIELD_RE.match(str(name)) if allowed is None else name in allowed
        if not ok or not isinstance(text, str):
            raise ValidationError(
                _("“%(field)s” is not a text of %(where)s.", field=str(name), where=where),
                field="translations",
            )
        if len(text) > MAX_TEXT:
            raise ValidationError(_("This translation is too long."), field="translations")
        if text.strip():
            texts[str(name)] = text
    return texts


def _listed(raw: Any) -> list[Any]:
    if raw in (None, ""):
        return []
    if not isinstance(raw, list):
        raise ValidationError(_("The translations are not in the expected shape."), field="translations")
    return raw


def clean_translations(
    raw: Mapping[str, Any] | None, language: str, lessons: Sequence[Mapping[str, Any]]
) -> dict[str, Any]:
    """Check a version's translations against its *lessons* and source *language*; return them tidied."""
    cleaned: dict[str, Any] = {}
    for locale, parts in (raw or {}).items():
        if not is_known_locale(locale):
            raise ValidationError(
                _("Atrium does not offer the language “%(locale)s”.", locale=str(locale)),
                field="translations",
            )
        if locale == language:
            raise ValidationError(
                _(
                    "This is written in %(language)s already; choose another language to translate it into.",
                    language=LOCALE_NAMES.get(locale, locale),
                ),
                field="translations",
            )
        if not isinstance(parts, Mapping) or set(parts) - {"course", "lessons", "questions"}:
            raise ValidationError(_("The translations are not in the expected shape."), field="translations")
        course = _texts(parts.get("course"), COURSE_FIELDS, _("the course"))
        given = _listed(parts.get("lessons"))
        if len(given) > len(lessons):
            raise ValidationError(
                _("There are translations of more lessons than the version has."), field="translations"
            )
        lesson_texts = []
        for position, (texts, lesson) in enumerate(zip(given, lessons, strict=False), start=1):
            where = _("lesson %(number)d", number=position)
            cleaned_texts = _texts(texts, LESSON_FIELDS.get(str(lesson.get("kind")), ("title",)), where)
            for name, text in cleaned_texts.items():
                source = str(lesson.get(name) or "")
                problems = [problem for check in TEXT_CHECKS for problem in check(source, text)]
                if problems:
                    raise ValidationError(f"{where}: {problems[0]}", field="translations")
            lesson_texts.append(cleaned_texts)
        questions = [
            _texts(texts, None, _("question %(number)d", number=position))
            for position, texts in enumerate(_listed(parts.get("questions")), start=1)
        ]
        cleaned[locale] = {"course": course, "lessons": lesson_texts, "questions": questions}
    return cleaned
