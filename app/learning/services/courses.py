"""Author tenant courses and paths: details, visibility, lessons in order, and their lifecycle."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, select

from app import audit, events
from app.errors import ValidationError
from app.extensions import db
from app.learning.lesson_kinds import REGISTRY, Upload, get_kind
from app.learning.models import (
    Audience,
    Course,
    CourseStatus,
    LearningPath,
    Lesson,
    LessonProgress,
    PathStep,
)

AUDIENCE_KINDS = ("group", "org_unit", "job_title")


def _clean_details(fields: dict[str, Any]) -> dict[str, Any]:
    title = (fields.get("title") or "").strip()
    if not title:
        raise ValidationError(_("Give the course a title."), field="title")
    if len(title) > 200:
        raise ValidationError(_("Keep the title under 200 characters."), field="title")
    try:
        duration = int(fields.get("duration_minutes") or 0)
    except (TypeError, ValueError):
        raise ValidationError(_("Enter the duration in whole minutes."), field="duration_minutes") from None
    if duration < 0 or duration > 100000:
        raise ValidationError(_("Enter the duration in whole minutes."), field="duration_minutes")
    tags = fields.get("tags") or []
    if isinstance(tags, str):
        tags = [t.strip() for t in tags.split(",")]
    tags = sorted({t.strip().lower() for t in tags if t and t.strip()})
    return {
        "title": title,
        "description": (fields.get("description") or "").strip(),
        "category": (fields.get("category") or "").strip() or None,
        "tags": tags,
        "language": (fields.get("language") or "en").strip()[:10] or "en",
        "duration_minutes": duration,
        "self_enroll": bool(fields.get("self_enroll")),
        "listed": bool(fields.get("listed", True)),
    }


def audience_keys(audiences: dict[str, list[str]]) -> set[tuple[str, str]]:
    """The (kind, value) pairs a form names; job titles compare case-insensitively."""
    return {
        (kind, str(value).strip().casefold() if kind == "job_title" else str(value))
        for kind in AUDIENCE_KINDS
        for value in audiences.get(kind, [])
        if str(value).strip()
    }


def sync_audiences(
    owner: Any, wanted: set[tuple[str, str]], restricted: bool, make: Callable[..., Any]
) -> None:
    """Make *owner*'s audience rows exactly *wanted* (none unless *restricted*); *make* builds new rows."""
    current = {(a.kind, a.value): a for a in owner.audiences}
    for key, audience in current.items():
        if key not in wanted or not restricted:
            owner.audiences.remove(audience)
    if restricted:
        for kind, value in sorted(wanted - set(current)):
            owner.audiences.append(make(kind=kind, value=value))


def _set_audiences(owner: Course | LearningPath, visibility: str, audiences: dict[str, list[str]]) -> None:
    if visibility not in ("everyone", "restricted"):
        raise ValidationError(_("Choose who may see it."), field="visibility")
    wanted = audience_keys(audiences)
    if visibility == "restricted" and not wanted:
        raise ValidationError(
            _("Name at least one group, organisation unit or job title, or make it visible to everyone."),
            field="visibility",
        )
    owner.visibility = visibility
    sync_audiences(owner, wanted, visibility == "restricted", Audience)


def audiences_of(owner: Any) -> dict[str, list[str]]:
    """The audience rows of a course, path or certification, by kind, as the forms take them."""
    result: dict[str, list[str]] = {kind: [] for kind in AUDIENCE_KINDS}
    for audience in owner.audiences:
        result.setdefault(audience.kind, []).append(audience.value)
    return result


def _refuse_library(course: Course) -> None:
    if course.from_library:
        raise ValidationError(
            _("Library courses come from the platform and cannot be edited here; you can hide them.")
        )


def create_course(
    fields: dict[str, Any], *, visibility: str = "everyone", audiences: dict[str, list[str]] | None = None
) -> Course:
    """Create a draft course."""
    course = Course(status=CourseStatus.draft.value, **_clean_details(fields))
    db.session.add(course)
    _set_audiences(course, visibility, audiences or {})
    db.session.flush()
    audit.record("course.created", target=course, after={"title": course.title})
    return course


def update_course(
    course: Course, fields: dict[str, Any], *, visibility: str, audiences: dict[str, list[str]]
) -> Course:
    """Change a course's details and who may see it."""
    _refuse_library(course)
    cleaned = _clean_details(fields)
    before = {k: getattr(course, k) for k in cleaned} | {"visibility": course.visibility}
    for name, value in cleaned.items():
        setattr(course, name, value)
    _set_audiences(course, visibility, audiences)
    after = {k: getattr(course, k) for k in cleaned} | {"visibility": course.visibility}
    changed = {k for k in after if after[k] != before[k]}
    if changed:
        audit.record(
            "course.updated",
            target=course,
            before={k: before[k] for k in changed},
            after={k: after[k] for k in changed},
        )
    return course


def set_course_status(course: Course, status: str) -> Course:
    """Publish, archive or return a course to draft. Archiving keeps every learner record."""
    if status not in {s.value for s in CourseStatus}:
        raise ValidationError(_("Unknown status."))
    if status == CourseStatus.published.value and not course.lessons:
        raise ValidationError(_("Add at least one lesson before publishing."))
    if course.status == status:
        return course
    before = course.status
    course.status = status
    audit.record(f"course.{status}", target=course, before={"status": before}, after={"status": status})
    events.emit(f"course.{status}", {"course_id": course.id, "title": course.title})
    return course


def add_lesson(
    course: Course,
    kind_key: str,
    title: str,
    required: bool,
    fields: dict[str, str],
    uploads: dict[str, Upload | None],
) -> Lesson:
    """Add a lesson of *kind_key* at the end of *course*."""
    _refuse_library(course)
    if kind_key not in REGISTRY:
        raise ValidationError(_("Choose a kind of lesson from the list."), field="kind")
    title = (title or "").strip()
    if not title:
        raise ValidationError(_("Give the lesson a title."), field="title")
    content = get_kind(kind_key).clean(fields, uploads, {}, course.tenant_id)
    position = (max((lesson.position for lesson in course.lessons), default=0)) + 1
    lesson = Lesson(
        course=course, kind=kind_key, title=title[:200], required=required, content=content, position=position
    )
    db.session.add(lesson)
    db.session.flush()
    audit.record(
        "lesson.created",
        target=lesson,
        after={"course": course.title, "title": lesson.title, "kind": kind_key},
    )
    return lesson


def update_lesson(
    lesson: Lesson, title: str, required: bool, fields: dict[str, str], uploads: dict[str, Upload | None]
) -> Lesson:
    _refuse_library(lesson.course)
    title = (title or "").strip()
    if not title:
        raise ValidationError(_("Give the lesson a title."), field="title")
    lesson.content = get_kind(lesson.kind).clean(
        fields, uploads, dict(lesson.content or {}), lesson.course.tenant_id
    )
    before = {"title": lesson.title, "required": lesson.required}
    lesson.title, lesson.required = title[:200], required
    audit.record(
        "lesson.updated",
        target=lesson,
        before=before,
        after={"title": lesson.title, "required": lesson.required},
    )
    return lesson


def move_lesson(lesson: Lesson, direction: int) -> None:
    """Move *lesson* one place up (-1) or down (+1)."""
    _refuse_library(lesson.course)
    lessons = list(lesson.course.lessons)
    index = lessons.index(lesson)
    target = index + direction
    if 0 <= target < len(lessons):
        lessons[index], lessons[target] = lessons[target], lessons[index]
        _renumber(lessons)


def reorder_lessons(course: Course, ordered_ids: list[int]) -> None:
    """Put the lessons in the order of *ordered_ids* (from drag and drop); the ids must be the course's."""
    _refuse_library(course)
    by_id = {lesson.id: lesson for lesson in course.lessons}
    if sorted(ordered_ids) != sorted(by_id):
        raise ValidationError(
            _("The lessons changed while you were reordering; reload the page and try again.")
        )
    _renumber([by_id[i] for i in ordered_ids])
    audit.record("course.lessons_reordered", target=course, after={"order": ordered_ids})


def _renumber(lessons: list[Lesson]) -> None:
    for position, lesson in enumerate(lessons, start=1):
        lesson.position = position
    course = lessons[0].course if lessons else None
    if course is not None:
        course.lessons.sort(key=lambda lesson: lesson.position)


def remove_lesson(lesson: Lesson) -> None:
    """Remove a lesson nobody has started; a started lesson can only be made optional (records are kept)."""
    _refuse_library(lesson.course)
    started = db.session.scalar(
        select(func.count()).select_from(LessonProgress).where(LessonProgress.lesson_id == lesson.id)
    )
    if started:
        raise ValidationError(
            _(
                "%(n)d learners have started this lesson, so it stays on record. Make it optional instead.",
                n=started,
            )
        )
    course = lesson.course
    audit.record("lesson.removed", target=lesson, before={"title": lesson.title})
    course.lessons.remove(lesson)
    db.session.delete(lesson)
    _renumber(list(course.lessons))


# ---------------------------------------------------------------- paths


def create_path(
    fields: dict[str, Any], *, visibility: str = "everyone", audiences: dict[str, list[str]] | None = None
) -> LearningPath:
    title = (fields.get("title") or "").strip()
    if not title:
        raise ValidationError(_("Give the path a title."), field="title")
    path = LearningPath(
        title=title[:200],
        description=(fields.get("description") or "").strip(),
        category=(fields.get("category") or "").strip() or None,
        self_enroll=bool(fields.get("self_enroll")),
        status=CourseStatus.draft.value,
    )
    db.session.add(path)
    _set_audiences(path, visibility, audiences or {})
    db.session.flush()
    audit.record("path.created", target=path, after={"title": path.title})
    return path


def set_path_courses(path: LearningPath, course_ids: list[int]) -> None:
    """Make the path's steps exactly *course_ids*, in that order."""
    courses = {c.id: c for c in db.session.scalars(select(Course).where(Course.id.in_(course_ids)))}
    if len(courses) != len(set(course_ids)):
        raise ValidationError(_("Choose courses from the list."), field="courses")
    existing = {step.course_id: step for step in path.steps}
    for course_id, step in existing.items():
        if course_id not in courses:
            path.steps.remove(step)
    for position, course_id in enumerate(course_ids, start=1):
        found = existing.get(course_id)
        if found is None:
            found = PathStep(course=courses[course_id], position=position)
            path.steps.append(found)
        found.position = position
    path.steps.sort(key=lambda s: s.position)
    audit.record("path.courses_set", target=path, after={"course_ids": course_ids})


def set_path_status(path: LearningPath, status: str) -> None:
    if status == CourseStatus.published.value:
        if not path.steps:
            raise ValidationError(_("Add at least one course before publishing."))
        unpublished = [s.course.title for s in path.steps if s.course.status != CourseStatus.published.value]
        if unpublished:
            raise ValidationError(_("Publish these courses first: %(titles)s", titles=", ".join(unpublished)))
    before = path.status
    path.status = status
    audit.record(f"path.{status}", target=path, before={"status": before}, after={"status": status})
