"""Record what a learner did in a lesson, and complete lessons, courses and paths when they are done."""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select, update

from app import audit, events
from app.accounts.models import User
from app.errors import ValidationError
from app.extensions import db
from app.learning.lesson_kinds import get_kind
from app.learning.models import (
    Enrollment,
    EnrollmentStatus,
    Lesson,
    LessonProgress,
    PathEnrollment,
)
from app.learning.services.enrollments import advance_path
from app.tenancy.models import insert_unless_exists, utcnow


def lessons_of(enrollment: Enrollment) -> list[Lesson]:
    """The lessons this enrollment takes: the course's own, or those of the pinned library version."""
    return enrollment.course.lessons_for(enrollment.library_version_id)


def progress_by_lesson(enrollment: Enrollment) -> dict[int, LessonProgress]:
    return {p.lesson_id: p for p in enrollment.progress}


def locked_lessons(enrollment: Enrollment) -> dict[int, Lesson]:
    """Lessons the learner may not open yet, each with the gate (assessment, checkpoint) that unlocks it.

    A gating lesson that is not complete locks every lesson after it, so an
    assessment placed before a practical checkpoint must be passed first.
    """
    done = {p.lesson_id for p in enrollment.progress if p.completed_at is not None}
    locked: dict[int, Lesson] = {}
    gate: Lesson | None = None
    for lesson in lessons_of(enrollment):
        if gate is not None:
            locked[lesson.id] = gate
        elif get_kind(lesson.kind).gates and lesson.id not in done:
            gate = lesson
    return locked


def progress_of(enrollment: Enrollment, lesson: Lesson) -> LessonProgress | None:
    """The learner's progress in *lesson*, or None before their first visit; reads only."""
    return progress_by_lesson(enrollment).get(lesson.id)


def is_complete(enrollment: Enrollment, lesson: Lesson) -> bool:
    """Whether *lesson* counts as done: completed here, or its task done elsewhere (see done_elsewhere)."""
    progress = progress_of(enrollment, lesson)
    if progress is not None and progress.completed_at is not None:
        return True
    return get_kind(lesson.kind).done_elsewhere(enrollment, lesson)


def next_lesson(enrollment: Enrollment, lesson: Lesson) -> Lesson | None:
    """The lesson after *lesson* in this enrollment's version of the course, or None after the last."""
    lessons = lessons_of(enrollment)
    ids = [item.id for item in lessons]
    if lesson.id not in ids or ids.index(lesson.id) + 1 >= len(lessons):
        return None
    return lessons[ids.index(lesson.id) + 1]


def previous_lesson(enrollment: Enrollment, lesson: Lesson) -> Lesson | None:
    """The lesson before *lesson* in this enrollment's version of the course, or None for the first."""
    lessons = lessons_of(enrollment)
    ids = [item.id for item in lessons]
    if lesson.id not in ids or ids.index(lesson.id) == 0:
        return None
    return lessons[ids.index(lesson.id) - 1]


def visit_lesson(enrollment: Enrollment, lesson: Lesson) -> LessonProgress:
    """Record the learner's visit to *lesson* (the page posts it once loaded): it becomes where they
    resume, and a lesson whose task they did elsewhere is completed."""
    progress = open_lesson(enrollment, lesson)
    if progress.completed_at is None and get_kind(lesson.kind).done_elsewhere(enrollment, lesson):
        complete_lesson(enrollment, lesson, progress)
    return progress


def open_lesson(enrollment: Enrollment, lesson: Lesson) -> LessonProgress:
    """Note that the learner opened *lesson*: it becomes where they resume."""
    _check_lesson(enrollment, lesson)
    gate = locked_lessons(enrollment).get(lesson.id)
    if gate is not None:
        raise ValidationError(get_kind(gate.kind).unlock_message(gate))
    now = utcnow()
    if enrollment.started_at is None:
        enrollment.started_at = now
    enrollment.last_lesson_id = lesson.id
    progress = progress_by_lesson(enrollment).get(lesson.id)
    if progress is None:
        # Two first opens at once (a double click, two tabs) record one start: the second finds the first's.
        insert_unless_exists(
            LessonProgress, enrollment_id=enrollment.id, lesson_id=lesson.id, started_at=now, percent=0
        )
        db.session.expire(enrollment, ["progress"])
        progress = progress_by_lesson(enrollment)[lesson.id]
    return progress


def _check_lesson(enrollment: Enrollment, lesson: Lesson) -> None:
    if enrollment.withdrawn_at is not None:
        raise ValidationError(_("You are no longer enrolled in this course."))
    if lesson not in lessons_of(enrollment):
        raise ValidationError(_("That lesson is not part of your version of the course."))


def record_event(
    enrollment: Enrollment, lesson: Lesson, event: str, value: int | None = None
) -> LessonProgress:
    """Apply a progress *event* reported for *lesson* (viewed to the end, percent watched, downloaded)."""
    kind = get_kind(lesson.kind)
    if event not in kind.events and event != "downloaded":
        raise ValidationError(_("That kind of progress does not apply to this lesson."))
    progress = open_lesson(enrollment, lesson)
    if value is not None:
        progress.percent = max(progress.percent, max(0, min(100, int(value))))
    if progress.completed_at is None and kind.completes(event, value):
        complete_lesson(enrollment, lesson, progress)
    return progress


def complete_lesson(enrollment: Enrollment, lesson: Lesson, progress: LessonProgress | None = None) -> None:
    """Mark *lesson* complete for this enrollment and complete the course when every required lesson is."""
    progress = progress or open_lesson(enrollment, lesson)
    if progress.completed_at is not None:
        return
    # Completed once even when two requests complete it at the same moment: the second one's update
    # waits for the first's row lock, then finds the lesson complete and changes nothing.
    completed = db.session.execute(
        update(LessonProgress)
        .where(LessonProgress.id == progress.id, LessonProgress.completed_at.is_(None))
        .values(completed_at=utcnow(), percent=100)
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(progress)
    if completed.rowcount != 1:  # type: ignore[attr-defined]
        db.session.expire(enrollment)  # the other request may have completed the course too
        return
    events.emit(
        "lesson.completed",
        {
            "enrollment_id": enrollment.id,
            "user_id": enrollment.user_id,
            "course_id": enrollment.course_id,
            "lesson_id": lesson.id,
        },
    )
    update_course_progress(enrollment)


def update_course_progress(enrollment: Enrollment) -> None:
    lessons = lessons_of(enrollment)
    done = {p.lesson_id for p in enrollment.progress if p.completed_at is not None}
    required = [lesson for lesson in lessons if lesson.required] or lessons
    enrollment.progress_percent = (
        round(100 * sum(1 for lesson in required if lesson.id in done) / len(required)) if required else 0
    )
    if required and all(lesson.id in done for lesson in required) and enrollment.completed_at is None:
        enrollment.completed_at = utcnow()
        enrollment.status = EnrollmentStatus.completed.value
        enrollment.progress_percent = 100
        audit.record(
            "enrollment.completed",
            target=enrollment,
            after={"course": enrollment.course.title, "user_id": enrollment.user_id},
        )
        events.emit(
            "course.completed",
            {
                "enrollment_id": enrollment.id,
                "user_id": enrollment.user_id,
                "course_id": enrollment.course_id,
            },
        )
        if enrollment.path_enrollment_id is not None:
            path_enrollment = db.session.get(PathEnrollment, enrollment.path_enrollment_id)
            user = db.session.get(User, enrollment.user_id)
            if path_enrollment is not None and user is not None:
                advance_path(path_enrollment, user)


def resume_lesson(enrollment: Enrollment) -> Lesson | None:
    """Return where the learner picks up: the last lesson opened if unfinished, else the first unfinished."""
    lessons = lessons_of(enrollment)
    if not lessons:
        return None
    done = {p.lesson_id for p in enrollment.progress if p.completed_at is not None}
    locked = locked_lessons(enrollment)
    last = next((lesson for lesson in lessons if lesson.id == enrollment.last_lesson_id), None)
    if last is not None and last.id not in done and last.id not in locked:
        return last
    open_ones = (lesson for lesson in lessons if lesson.id not in done and lesson.id not in locked)
    return next(open_ones, lessons[0])


def path_progress(path_enrollment: PathEnrollment) -> list[tuple[object, str]]:
    """Each step of the path with its state for this learner: completed, in_progress, locked."""
    steps = path_enrollment.path.steps
    enrollments = {
        e.course_id: e
        for e in db.session.scalars(
            select(Enrollment).where(
                Enrollment.user_id == path_enrollment.user_id,
                Enrollment.course_id.in_([s.course_id for s in steps]),
            )
        )
    }
    states: list[tuple[object, str]] = []
    unlocked = True
    for step in steps:
        enrollment = enrollments.get(step.course_id)
        if enrollment is not None and enrollment.completed_at is not None:
            states.append((step, "completed"))
        elif unlocked:
            states.append((step, "in_progress"))
            unlocked = False
        else:
            states.append((step, "locked"))
    return states
