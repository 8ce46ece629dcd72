"""Learner screens: My learning, catalog, course and path pages, taking lessons, progress and downloads."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from flask import Blueprint, abort, flash, g, jsonify, redirect, render_template, send_file, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from htmx_flask import request
from markupsafe import Markup, escape
from sqlalchemy import and_, bindparam, select
from sqlalchemy.orm import contains_eager, joinedload, load_only

from app.accounts.access import require_sign_in
from app.accounts.views import home_page
from app.errors import ValidationError
from app.extensions import db
from app.inputs import page_number, past_last_page, whole_number
from app.learning import cards as cards_pieces
from app.learning import translated
from app.learning.lesson_kinds import file_for, get_kind, kind_names
from app.learning.models import Course, Enrollment, LearningPath, Lesson, LessonProgress, PathStep
from app.learning.services import catalog as catalog_service
from app.learning.services import enrollments as enrolling
from app.learning.services import home as home_service
from app.learning.services import progress as progress_service
from app.learning.services.visibility import can_see_course, can_see_path, viewer_for
from app.storage import extension_of, inline_safe, storage, stored_filename
from app.templating import url_for_ids

bp = Blueprint("learning", __name__)

# What other features add to My learning: template variable -> function of the signed-in person.
_home_context: dict[str, Callable[[Any], Any]] = {}


def add_to_my_learning(name: str, provide: Callable[[Any], Any]) -> None:
    """Give My learning's template *name*, computed by *provide(person)* (policies add what to accept)."""
    _home_context[name] = provide


def _due_on(card: catalog_service.EnrollmentCard) -> date:
    return card.due_on or date.max


@home_page
def my_learning_page() -> Any:
    """The learner's home page (served at / by accounts.home)."""
    from datetime import datetime

    from flask_babel import get_timezone

    today = datetime.now(get_timezone()).date()
    data = home_service.my_learning(current_user, today)
    extra = {name: provide(current_user) for name, provide in _home_context.items()}
    cards = [*data.assigned, *data.in_progress, *data.completed]
    following = [item for items in data.next_in_paths.values() for item in items]
    courses = [card.course for card in cards] + data.suggestions + [item.course for item in following]
    readable = translated.readable_courses(courses)
    # Each title marked up once: a course's card, its due date and its label all show it.
    titles = {course.id: translated.shown_name(readable.get(course.id, course)) for course in courses}
    minutes = cards_pieces.minutes_phrase()  # the cards' and the suggestions' lengths: each written once
    pieces = cards_pieces.learning_pieces(cards, titles, readable, today, minutes)
    dated = sorted((card for card in [*data.assigned, *data.in_progress] if card.due_on), key=_due_on)
    path_titles = cards_pieces.path_titles(
        [(path.path_id, path.title) for path in data.paths]
        + [(item.path_id, item.path_title) for item in following]
    )
    return render_template(
        "learning/my_learning.html",
        data=data,
        today=today,
        titles=titles,
        path_titles=path_titles,
        write_cards=cards_pieces.learning_cards(pieces, data.next_in_paths, titles, path_titles, today),
        dated=dated,
        due_dates=cards_pieces.due_dates(dated, pieces, today),
        minutes=minutes,
        **extra,
    )


@bp.route("/catalog")
@require_sign_in
def catalog() -> Any:
    page = request.args.get("page", 1, type=page_number)
    params: dict[str, Any] = {
        "query": request.args.get("q", ""),
        "category": request.args.get("category", ""),
        "tag": request.args.get("tag", ""),
        "sort": request.args.get("sort", "title"),
    }
    translated_paths = cards_pieces.paths_may_read_translated()
    result = catalog_service.catalog(
        viewer_for(current_user),
        page=page,
        paths_as_rows=not translated_paths,
        reading=translated.reading_locales(),  # a search finds a course by its title as the person reads it
        **params,
    )
    if (back := past_last_page(result.per_page, page=(page, result.total))) is not None:
        return back
    context = {
        "result": result,
        "paths": cards_pieces.path_pieces(result.paths, translated_paths),
        "options": cards_pieces.options,
        "courses": cards_pieces.course_pieces(result, translated.readable_courses(result.courses)),
        **params,
    }
    if request.htmx and request.htmx.target == "catalog-results":
        return render_template("learning/_catalog_results.html", **context)
    return render_template("learning/catalog.html", **context)


# The statements below are built once, with bound values: the tenant scoping keeps one scoped copy of each
# per tenant, whose cache key is computed once, instead of building and keying a statement every request.

# Its course and that course's lessons come in the same statement: every page of it lists them.
_OWN_ENROLLMENT = (
    select(Enrollment)
    .where(Enrollment.id == bindparam("enrollment_id"))
    .options(joinedload(Enrollment.course).joinedload(Course.lessons))
)

# The lesson page reads only these (the lesson kinds too: an assessment or a policy asks for the
# enrollment's person, a checkpoint for its id); every column more is one more for the driver to describe
# and the ORM to load. A column left out would load with a statement of its own, which the tests of the
# page's statement count catch.
_LESSON_COLUMNS = (
    Lesson.id,
    Lesson.course_id,
    Lesson.library_version_id,
    Lesson.kind,
    Lesson.title,
    Lesson.required,
    Lesson.content,
    Lesson.tenant_id,
)
# The lesson page's enrollment with its course, the course's lessons and the learner's progress in each,
# in one statement: a lesson has at most one progress row an enrollment, so each lesson is one row.
_ENROLLMENT_TO_READ = (
    select(Enrollment)
    .join(Enrollment.course)
    .outerjoin(Course.lessons)
    .outerjoin(
        LessonProgress,
        and_(LessonProgress.enrollment_id == Enrollment.id, LessonProgress.lesson_id == Lesson.id),
    )
    .where(Enrollment.id == bindparam("enrollment_id"))
    .order_by(Lesson.position)  # the relationship's order, which rows loaded by hand do not get by themselves
    .options(
        load_only(
            Enrollment.user_id,
            Enrollment.course_id,
            Enrollment.library_version_id,
            Enrollment.withdrawn_at,
            Enrollment.tenant_id,
        ),
        contains_eager(Enrollment.course).load_only(
            Course.title,
            Course.description,
            Course.language,
            Course.deployment_id,
            Course.library_version_id,
            Course.tenant_id,
        ),
        contains_eager(Enrollment.course, Course.lessons).load_only(*_LESSON_COLUMNS),
        # Whether each lesson is complete is all the page reads of the progress.
        contains_eager(Enrollment.progress).load_only(
            LessonProgress.lesson_id, LessonProgress.completed_at, LessonProgress.tenant_id
        ),
    )
)

# The published paths a course is a step of, with what their links show (the title, as translated).
_PATHS_OF_COURSE = (
    select(LearningPath)
    .where(
        LearningPath.status == "published",
        LearningPath.id.in_(select(PathStep.path_id).where(PathStep.course_id == bindparam("course_id"))),
    )
    .options(load_only(LearningPath.title, LearningPath.description, LearningPath.tenant_id))
)


def _lesson_titles(course: Course, lessons: list[Lesson]) -> dict[int, Markup]:
    """Each lesson's title by id, as ``shown_name`` marks it up, for a page that lists the course's lessons.

    A lesson reads in its course's language unless a translation is tried, which the reader does only for
    a person reading another language than the one it was written in: then each title is looked up. For
    the others (most people, most pages) every title is its own text, in the language marked up once.
    """
    if not course.language or course.language != str(get_locale() or "en"):
        return {lesson.id: translated.shown_name(lesson) for lesson in lessons}
    attrs = translated.lang_attrs(course.language)
    # A blank title is no text to show, as the reader has it (it keeps no field for one).
    return {
        lesson.id: Markup(f"<bdi{attrs}>{escape(lesson.title if lesson.title.strip() else '')}</bdi>")  # noqa: S704 - escaped
        for lesson in lessons
    }


#: A lesson in a list of the course's lessons: (id, address or None, title, kind, required, "done",
#: "locked" or ""), found once in Python rather than attribute by attribute in the template's loop.
OutlineRow = tuple[int, str | None, Markup, str, bool, str]


def _outline(
    course: Course,
    lessons: list[Lesson],
    enrollment: Enrollment | None,
    done: set[int],
    locked: dict[int, Lesson],
) -> list[OutlineRow]:
    """The rows of the course's lessons that the course page and the lesson pages list."""
    titles = _lesson_titles(course, lessons)
    href = url_for_ids("learning.lesson", "lesson_id", enrollment_id=enrollment.id) if enrollment else None
    return [
        (
            lesson.id,
            href(lesson.id) if href else None,
            titles[lesson.id],
            lesson.kind,
            lesson.required,
            "done" if lesson.id in done else "locked" if lesson.id in locked else "",
        )
        for lesson in lessons
    ]


def _own_enrollment(enrollment_id: int, statement: Any = _OWN_ENROLLMENT) -> Enrollment:
    """The signed-in person's current enrollment *enrollment_id* (404 for anyone else's or a withdrawn one),
    with all its columns (it is written to) unless *statement* loads fewer."""
    enrollment = db.session.scalars(statement, {"enrollment_id": enrollment_id}).unique().one_or_none()
    if enrollment is None or enrollment.user_id != current_user.id or enrollment.withdrawn_at is not None:
        abort(404)
    return enrollment


@bp.route("/courses/<int:course_id>")
@require_sign_in
def course(course_id: int) -> Any:
    # The lessons, the enrollment and its progress come with the course (one statement).
    found, enrollment = enrolling.course_with_enrollment(current_user.id, course_id)
    if found is None:
        abort(404)
    viewer = None if enrollment else viewer_for(current_user)  # looked up once, and only when needed
    if viewer is not None and not can_see_course(viewer, course_id):
        abort(404)
    lessons = found.lessons_for(enrollment.library_version_id if enrollment else found.library_version_id)
    done = {p.lesson_id for p in enrollment.progress if p.completed_at} if enrollment else set()
    paths = db.session.scalars(_PATHS_OF_COURSE, {"course_id": course_id}).all()
    locked = progress_service.locked_lessons(enrollment) if enrollment else {}
    finished = enrollment is not None and enrollment.completed_at is not None
    following = (
        catalog_service.next_in_paths(viewer or viewer_for(current_user), [course_id]) if finished else {}
    )
    return render_template(
        "learning/course.html",
        next_in_paths=following.get(course_id, []),
        course=found,
        lessons=lessons,
        outline=_outline(found, lessons, enrollment, done, locked),
        kind_names=kind_names(lessons),
        enrollment=enrollment,
        done=done,
        locked=locked,
        paths=paths,
    )


@bp.route("/courses/<int:course_id>/enrol", methods=["POST"])
@require_sign_in
def self_enrol(course_id: int) -> Any:
    found = db.session.get(Course, course_id)
    if found is None or not can_see_course(viewer_for(current_user), course_id):
        abort(404)
    if not found.self_enroll:
        flash(_("This course is by assignment only. Ask your manager or administrator."), "error")
        return redirect(url_for("learning.course", course_id=course_id))
    try:
        enrollment, _created = enrolling.enrol(current_user, found, source="self")
    except ValidationError as exc:
        flash(exc.message, "error")
        return redirect(url_for("learning.course", course_id=course_id))
    return redirect(url_for("learning.resume", enrollment_id=enrollment.id))


@bp.route("/learn/<int:enrollment_id>")
@require_sign_in
def resume(enrollment_id: int) -> Any:
    enrollment = _own_enrollment(enrollment_id)
    lesson = progress_service.resume_lesson(enrollment)
    if lesson is None:
        flash(_("This course has no lessons yet."), "info")
        return redirect(url_for("learning.course", course_id=enrollment.course_id))
    return redirect(url_for("learning.lesson", enrollment_id=enrollment.id, lesson_id=lesson.id))


def _lesson_in(enrollment: Enrollment, lesson_id: int) -> Lesson:
    lesson = next((item for item in progress_service.lessons_of(enrollment) if item.id == lesson_id), None)
    if lesson is None:
        abort(404)
    return lesson


@bp.route("/learn/<int:enrollment_id>/lessons/<int:lesson_id>")
@require_sign_in
def lesson(enrollment_id: int, lesson_id: int) -> Any:
    enrollment = _own_enrollment(enrollment_id, _ENROLLMENT_TO_READ)  # a page view writes nothing
    current = _lesson_in(enrollment, lesson_id)
    lessons = progress_service.lessons_of(enrollment)
    locked = progress_service.locked_lessons(enrollment)
    done = {p.lesson_id for p in enrollment.progress if p.completed_at}
    outline = _outline(enrollment.course, lessons, enrollment, done, locked)
    gate = locked.get(current.id)
    if gate is not None:
        return render_template(
            "learning/lesson_locked.html",
            enrollment=enrollment,
            lesson=current,
            gate=gate,
            message=get_kind(gate.kind).unlock_message(gate),
            outline=outline,
        ), 403
    # A page view writes nothing: the page posts the visit once loaded (see visit below).
    kind = get_kind(current.kind)
    return render_template(
        "learning/lesson.html",
        enrollment=enrollment,
        lesson=current,
        kind=kind,
        completed=progress_service.is_complete(enrollment, current),
        done_elsewhere=kind.done_elsewhere(enrollment, current),
        lessons=lessons,
        outline=outline,
        rows={row[0]: row for row in outline},
        done=done,
        previous=progress_service.previous_lesson(enrollment, current),
        next=progress_service.next_lesson(enrollment, current),
        locked=locked,
        **kind.page_context(enrollment, current),
    )


@bp.route("/learn/<int:enrollment_id>/lessons/<int:lesson_id>/visit", methods=["POST"])
@require_sign_in
def visit(enrollment_id: int, lesson_id: int) -> Any:
    """Record that the learner opened the lesson (htmx posts it on load; without JavaScript, "Mark
    complete" does), so it is where they resume and a task done elsewhere completes it."""
    enrollment = _own_enrollment(enrollment_id)
    current = _lesson_in(enrollment, lesson_id)
    try:
        progress_service.visit_lesson(enrollment, current)
    except ValidationError as exc:
        if request.htmx:
            return "", 204, {"Vary": "HX-Request"}  # locked: the page already says so
        flash(exc.message, "error")
    if request.htmx:
        return "", 204, {"Vary": "HX-Request"}
    return redirect(url_for("learning.lesson", enrollment_id=enrollment.id, lesson_id=current.id), 303)


@bp.route("/learn/<int:enrollment_id>/lessons/<int:lesson_id>/progress", methods=["POST"])
@require_sign_in
def report_progress(enrollment_id: int, lesson_id: int) -> Any:
    """Progress from the learner's browser: a page read to the end, a share of a video watched."""
    enrollment = _own_enrollment(enrollment_id)
    current = _lesson_in(enrollment, lesson_id)
    event = request.form.get("event", "")
    value = request.form.get("value", type=whole_number)
    try:
        progress = progress_service.record_event(enrollment, current, event, value)
    except ValidationError as exc:
        if request.accept_mimetypes.best == "application/json":
            return jsonify(error=exc.message), 422
        flash(exc.message, "error")
        return redirect(url_for("learning.lesson", enrollment_id=enrollment.id, lesson_id=current.id))
    if request.accept_mimetypes.best == "application/json":
        return jsonify(
            completed=progress.completed_at is not None,
            percent=progress.percent,
            course_completed=enrollment.completed_at is not None,
            course_percent=enrollment.progress_percent,
        )
    following = progress_service.next_lesson(enrollment, current)
    if following is not None:
        return redirect(url_for("learning.lesson", enrollment_id=enrollment.id, lesson_id=following.id))
    if enrollment.completed_at is not None:
        flash(_("You completed “%(title)s”. Well done!", title=enrollment.course.title), "success")
        return redirect(url_for("accounts.home"))
    return redirect(url_for("learning.lesson", enrollment_id=enrollment.id, lesson_id=current.id))


@bp.route("/learn/<int:enrollment_id>/lessons/<int:lesson_id>/download", methods=["GET", "POST"])
@require_sign_in
def download(enrollment_id: int, lesson_id: int) -> Any:
    """Send a file lesson's file, in the learner's language when there is one; downloading it with the
    lesson's button (a POST) completes the lesson."""
    from flask_babel import get_locale

    enrollment = _own_enrollment(enrollment_id)
    current = _lesson_in(enrollment, lesson_id)
    stored, _language = file_for(current, str(get_locale() or ""))
    if current.kind != "file" or not stored:
        abort(404)
    if current.id in progress_service.locked_lessons(enrollment):
        abort(403)
    data = storage().read(stored["key"], tenant_id=g.tenant.id)
    if data is None:
        abort(404)
    if request.method == "POST":  # GET never writes: an old link still downloads, without recording
        progress_service.record_event(enrollment, current, "downloaded")
    import io

    # The name and type come from the detected content (files stored before that rule kept the
    # uploader's name, e.g. evil.html for plain text): always offered as a download, never shown.
    mime = stored["content_type"] if extension_of(stored["content_type"]) else "application/octet-stream"
    return send_file(
        io.BytesIO(data),
        mimetype=mime,
        as_attachment=True,
        download_name=stored_filename(stored["filename"], mime),
    )


def may_view_lesson_media(lesson: Lesson) -> bool:
    from app.accounts import permissions as perms

    if current_user.can(perms.CONTENT_AUTHOR) or current_user.can(perms.CATALOG_MANAGE):
        return True
    return enrolling.current_enrollment(current_user.id, lesson.course_id) is not None


@bp.route("/media/lessons/<int:lesson_id>/<any(video, captions):part>")
@require_sign_in
def lesson_media(lesson_id: int, part: str) -> Any:
    """A lesson's uploaded video or captions (``?lang=`` for those in another language), for the people
    taking or authoring it (with Range support)."""
    current = db.session.get(Lesson, lesson_id)
    if current is None or current.kind != "video" or not may_view_lesson_media(current):
        abort(404)
    content = current.content or {}
    lang = request.args.get("lang", "") if part == "captions" else ""
    stored = (content.get("captions_by_locale") or {}).get(lang) if lang else content.get(part)
    if not stored:
        abort(404)
    path = storage().path(stored["key"], tenant_id=g.tenant.id)
    if path is None:
        abort(404)
    return send_file(
        path,
        mimetype=stored["content_type"],
        as_attachment=not inline_safe(stored["content_type"]),
        download_name=stored_filename(stored.get("filename", ""), stored["content_type"], part),
        conditional=True,
        max_age=3600,
    )


@bp.route("/paths/<int:path_id>")
@require_sign_in
def path(path_id: int) -> Any:
    found = db.session.get(LearningPath, path_id)
    path_enrollment = enrolling.current_path_enrollment(current_user.id, path_id) if found else None
    if found is None or (path_enrollment is None and not can_see_path(viewer_for(current_user), path_id)):
        abort(404)
    states = (
        progress_service.path_progress(path_enrollment)
        if path_enrollment
        else [(step, "locked" if i else "available") for i, step in enumerate(found.steps)]
    )
    return render_template("learning/path.html", path=found, path_enrollment=path_enrollment, states=states)


@bp.route("/paths/<int:path_id>/enrol", methods=["POST"])
@require_sign_in
def enrol_in_path(path_id: int) -> Any:
    found = db.session.get(LearningPath, path_id)
    if found is None or not can_see_path(viewer_for(current_user), path_id):
        abort(404)
    if not found.self_enroll:
        flash(_("This path is by assignment only. Ask your manager or administrator."), "error")
        return redirect(url_for("learning.path", path_id=path_id))
    try:
        enrolling.enrol_in_path(current_user, found, source="self")
    except ValidationError as exc:
        flash(exc.message, "error")
    else:
        flash(
            _("You are enrolled in “%(title)s”. Start with its first course.", title=found.title), "success"
        )
    return redirect(url_for("learning.path", path_id=path_id))
