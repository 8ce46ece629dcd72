"""What a library package holds: the author's input checked, audit snapshots, the lessons it becomes.

The platform tenant's audit log and events record every library action, whoever asks for it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any
from urllib.parse import urlsplit

from flask_babel import gettext as _
from sqlalchemy import select

from app import audit, events
from app.errors import ValidationError
from app.extensions import db
from app.inputs import parse_id
from app.library.models import LibraryVersion
from app.tenancy import as_tenant
from app.tenancy.models import Audience, Tenant
from app.text import render_markdown

LESSON_KINDS = ("page", "video", "assessment")
TARGET_AUDIENCES = tuple(a.value for a in Audience if a is not Audience.other)
SLUG_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,98}[a-z0-9])?$")
LANGUAGE_RE = re.compile(r"^[a-z]{2,3}(?:[_-][A-Za-z]{2,4})?$")


def platform_tenant() -> Tenant:
    return db.session.scalars(select(Tenant).where(Tenant.is_platform.is_(True))).one()


def record_platform(
    action: str,
    target: object,
    payload: dict[str, Any],
    *,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> None:
    """Audit and emit a platform action in the platform tenant, whatever context we are called from."""
    platform = platform_tenant()
    with as_tenant(platform):
        audit.record(action, target=target, before=before, after=after, tenant_id=platform.id)
        events.emit(action, payload)


def version_snapshot(version: LibraryVersion) -> dict[str, Any]:
    return {
        "number": version.number,
        "status": version.status,
        "title": version.title,
        "description": version.description,
        "language": version.language,
        "duration_minutes": version.duration_minutes,
        "category": version.category,
        "tags": list(version.tags or []),
        "lessons": len(version.lessons or []),
        "release_notes": version.release_notes or "",
        "translations": sorted(version.translations or {}),
    }


def clean_tags(tags: Iterable[str] | str) -> list[str]:
    if isinstance(tags, str):
        tags = tags.split(",")
    cleaned = sorted({t.strip().lower() for t in tags if t and t.strip()})
    if any(len(t) > 50 for t in cleaned):
        raise ValidationError(_("Keep each tag under 50 characters."), field="tags")
    return cleaned


def clean_details(
    title: str, description: str, language: str, duration_minutes: Any, category: str | None
) -> dict[str, Any]:
    title = (title or "").strip()
    if not title:
        raise ValidationError(_("Give the package a title."), field="title")
    if len(title) > 200:
        raise ValidationError(_("Keep the title under 200 characters."), field="title")
    language = (language or "en").strip()
    if not LANGUAGE_RE.match(language):
        raise ValidationError(_("Choose the language the content is written in."), field="language")
    try:
        duration = int(duration_minutes or 0)
    except (TypeError, ValueError):
        raise ValidationError(_("Enter the duration in whole minutes."), field="duration_minutes") from None
    if duration < 0 or duration > 100000:
        raise ValidationError(_("Enter the duration in whole minutes."), field="duration_minutes")
    category = (category or "").strip() or None
    if category is not None and len(category) > 100:
        raise ValidationError(_("Keep the category under 100 characters."), field="category")
    return {
        "title": title,
        "description": (description or "").strip(),
        "language": language,
        "duration_minutes": duration,
        "category": category,
    }


def clean_lessons(lessons: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Validate library lessons and return them in the stored format (raise ValidationError)."""
    cleaned: list[dict[str, Any]] = []
    for index, lesson in enumerate(lessons):
        kind = lesson.get("kind")
        if kind not in LESSON_KINDS:
            raise ValidationError(
                _("Choose a page, a video or an assessment."), field=f"lessons-{index}-kind"
            )
        title = (lesson.get("title") or "").strip()
        if not title:
            raise ValidationError(_("Give the lesson a title."), field=f"lessons-{index}-title")
        if len(title) > 200:
            raise ValidationError(
                _("Keep the title under 200 characters."),
                field=f"lessons-{index}-title",
            )
        item: dict[str, Any] = {"kind": kind, "title": title, "required": bool(lesson.get("required", True))}
        if kind == "page":
            markdown = (lesson.get("markdown") or "").strip()
            if not markdown:
                raise ValidationError(
                    _("Write the page's text."),
                    field=f"lessons-{index}-markdown",
                )
            item["markdown"] = markdown
        elif kind == "assessment":
            item.update(_clean_library_quiz(lesson, index))
        else:
            url = (lesson.get("url") or "").strip()
            parts = urlsplit(url)
            if parts.scheme != "https" or not parts.netloc:
                raise ValidationError(
                    _("Link to the video with an https:// address."),
                    field=f"lessons-{index}-url",
                )
            captions_language = (lesson.get("captions_language") or "en").strip()
            if not LANGUAGE_RE.match(captions_language):
                raise ValidationError(
                    _("Give the captions' language as a code such as “en”."),
                    field=f"lessons-{index}-captions_language",
                )
            item["url"] = url
            item["captions_language"] = captions_language
            item["transcript"] = (lesson.get("transcript") or "").strip()
        cleaned.append(item)
    return cleaned


def _clean_library_quiz(lesson: dict[str, Any], index: int) -> dict[str, Any]:
    """An assessment lesson names a quiz built under Quizzes in the console; publishing freezes a copy."""
    from app.assessments.models import Quiz
    from app.assessments.services import question_count

    if lesson.get("quiz"):  # a published version's frozen copy
        return {"quiz_id": lesson.get("quiz_id"), "quiz": lesson["quiz"]}
    raw = str(lesson.get("quiz_id") or "").strip()
    with as_tenant(platform_tenant()):
        quiz_id = parse_id(raw)
        quiz = db.session.get(Quiz, quiz_id) if quiz_id else None
        if quiz is None:
            raise ValidationError(
                _("Choose the quiz for this assessment (build it under Quizzes first)."),
                field=f"lessons-{index}-quiz_id",
            )
        if question_count(quiz) == 0:
            raise ValidationError(
                _("The quiz “%(title)s” has no questions yet.", title=quiz.title),
                field=f"lessons-{index}-quiz_id",
            )
        return {"quiz_id": quiz.id}


def freeze_quizzes(lessons: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Copy each assessment's quiz into the version, so later edits to it never reach tenants."""
    from app.assessments.library import snapshot_quiz
    from app.assessments.services import load_quiz

    frozen = []
    with as_tenant(platform_tenant()):
        for lesson in lessons:
            if lesson["kind"] == "assessment":
                quiz = load_quiz(int(lesson["quiz_id"]))
                assert quiz is not None  # clean_lessons checked
                lesson = {**lesson, "quiz": snapshot_quiz(quiz)}
            frozen.append(lesson)
    return frozen


def lesson_content(lesson: dict[str, Any], version: LibraryVersion | None = None) -> dict[str, Any]:
    """The Lesson.content a version's lesson becomes in a tenant."""
    if lesson["kind"] == "assessment":
        from app.assessments.library import materialise_quiz

        number = version.number if version is not None else 1
        slug = version.package.slug if version is not None else "library"
        quiz = materialise_quiz(
            lesson["quiz"],
            f"{lesson['title']} ({slug}, version {number})",
            version.id if version is not None else None,
        )
        return {"quiz_id": quiz.id}
    if lesson["kind"] == "page":
        return {"markdown": lesson["markdown"], "html": render_markdown(lesson["markdown"])}
    return {
        "url": lesson["url"],
        "captions_language": lesson.get("captions_language") or "en",
        "transcript": lesson.get("transcript") or "",
    }
