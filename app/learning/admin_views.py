"""Authoring and administration: courses and lessons, paths, enrollments and enrolment rules."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from app.accounts import permissions as perms
from app.accounts.access import get_or_404, require_permission
from app.accounts.admin_views import _apply_error
from app.accounts.forms import as_choices
from app.accounts.models import Group, User, UserStatus
from app.accounts.services import org_unit_tree
from app.errors import ValidationError
from app.extensions import db
from app.inputs import id_number, parse_id, whole_number
from app.learning.forms import CourseForm, EnrolForm, LessonForm, PathForm, RuleForm
from app.learning.lesson_kinds import REGISTRY, Upload, get_kind
from app.learning.models import Course, Enrollment, EnrollmentRule, LearningPath, Lesson
from app.learning.services import courses as authoring
from app.learning.services import enrollments as enrolling
from app.learning.services import rules as rule_service
from app.locales import LOCALE_NAMES

bp = Blueprint("authoring", __name__, url_prefix="/admin")

AUTHOR = perms.CONTENT_AUTHOR
MANAGE = perms.CATALOG_MANAGE


def _can_author() -> bool:
    return current_user.can(AUTHOR) or current_user.can(MANAGE)


def require_author(view: Any) -> Any:
    """Authors and catalog managers may build courses."""
    from functools import wraps

    @wraps(view)
    @require_permission(perms.LEARNING_TAKE)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if not _can_author():
            abort(403)
        return view(*args, **kwargs)

    return wrapped


# ---------------------------------------------------------------- courses


def _course_form(course: Course | None = None) -> CourseForm:
    form = CourseForm(obj=course) if request.method == "GET" and course else CourseForm()
    form.language.choices = as_choices(LOCALE_NAMES.items())
    form.groups.choices = as_choices(
        (str(gr.id), gr.name) for gr in db.session.scalars(select(Group).order_by(Group.name))
    )
    form.org_units.choices = as_choices(
        (str(u.id), "\u00a0\u00a0" * depth + u.name) for u, depth in org_unit_tree()
    )
    if request.method == "GET" and course is not None:
        audiences = authoring.audiences_of(course)
        form.tags.data = ", ".join(course.tags or [])
        form.groups.data = audiences["group"]
        form.org_units.data = audiences["org_unit"]
        form.job_titles.data = ", ".join(audiences["job_title"])
        form.visibility.data = course.visibility
    return form


def _course_fields(form: CourseForm) -> tuple[dict[str, Any], str, dict[str, list[str]]]:
    fields = {
        "title": form.title.data,
        "description": form.description.data,
        "category": form.category.data,
        "tags": form.tags.data or "",
        "language": form.language.data,
        "duration_minutes": form.duration_minutes.data,
        "self_enroll": form.self_enroll.data,
        "listed": form.listed.data,
    }
    audiences = {
        "group": list(form.groups.data or []),
        "org_unit": list(form.org_units.data or []),
        "job_title": [t.strip() for t in (form.job_titles.data or "").split(",") if t.strip()],
    }
    return fields, form.visibility.data or "everyone", audiences


@bp.route("/courses")
@require_author
def courses() -> Any:
    status = request.args.get("status", "")
    statement = select(Course).options(selectinload(Course.lessons)).order_by(Course.title)
    if status:
        statement = statement.where(Course.status == status)
    rows = db.session.scalars(statement).all()
    counts = dict(
        db.session.execute(
            select(Enrollment.course_id, func.count())
            .where(Enrollment.withdrawn_at.is_(None))
            .group_by(Enrollment.course_id)
        ).all()
    )
    return render_template("learning/admin/courses.html", courses=rows, counts=counts, status=status)


@bp.route("/courses/new", methods=["GET", "POST"])
@require_author
def new_course() -> Any:
    form = _course_form()
    if form.validate_on_submit():
        fields, visibility, audiences = _course_fields(form)
        try:
            course = authoring.create_course(fields, visibility=visibility, audiences=audiences)
        except ValidationError as exc:
            _apply_error(form, exc)
        else:
            flash(
                _(
                    "“%(title)s” was created as a draft. Add its lessons, then publish it.",
                    title=course.title,
                ),
                "success",
            )
            return redirect(url_for("authoring.edit_course", course_id=course.id))
    return render_template(
        "learning/admin/course_form.html", form=form, course=None
    ), 200 if request.method == "GET" else 422


@bp.route("/courses/<int:course_id>", methods=["GET", "POST"])
@require_author
def edit_course(course_id: int) -> Any:
    course = get_or_404(Course, course_id)
    form = _course_form(course)
    if not course.from_library and form.validate_on_submit():
        fields, visibility, audiences = _course_fields(form)
        try:
            authoring.update_course(course, fields, visibility=visibility, audiences=audiences)
        except ValidationError as exc:
            _apply_error(form, exc)
        else:
            flash(_("Changes to “%(title)s” were saved.", title=course.title), "success")
            return redirect(url_for("authoring.edit_course", course_id=course.id))
    status = 200 if request.method == "GET" else 422
    return render_template(
        "learning/admin/course_form.html", form=form, course=course, kinds=REGISTRY
    ), status


@bp.route("/courses/<int:course_id>/status", methods=["POST"])
@require_author
def course_status(course_id: int) -> Any:
    course = get_or_404(Course, course_id)
    try:
        authoring.set_course_status(course, request.values.get("status", ""))
    except ValidationError as exc:
        flash(exc.message, "error")
    else:
        flash(
            _("“%(title)s” is now %(status)s.", title=course.title, status=_status_label(course.status)),
            "success",
        )
    return redirect(url_for("authoring.edit_course", course_id=course.id))


def _status_label(status: str) -> str:
    return {"draft": _("a draft"), "published": _("published"), "archived": _("archived")}.get(status, status)


# ---------------------------------------------------------------- lessons


def _uploads(form: LessonForm) -> dict[str, Upload | None]:
    result: dict[str, Upload | None] = {}
    for name in ("video_file", "captions_file", "document_file"):
        storage = getattr(form, name).data
        if storage is not None and getattr(storage, "filename", None):
            result[name] = Upload(filename=storage.filename, data=storage.read())
        else:
            result[name] = None
    return result


def _lesson_fields(form: LessonForm, kind_key: str) -> dict[str, str]:
    fields = {
        name: getattr(form, name).data or ""
        for name in ("body", "video_url", "captions_language", "transcript", "note")
    }
    for name in get_kind(kind_key).form_fields:
        values = request.form.getlist(name)
        fields[name] = "\n".join(values) if len(values) > 1 else (values[0] if values else "")
    return fields


@bp.route("/courses/<int:course_id>/lessons/new", methods=["GET", "POST"])
@require_author
def new_lesson(course_id: int) -> Any:
    course = get_or_404(Course, course_id)
    kind_key = request.values.get("kind", "page")
    if kind_key not in REGISTRY or course.from_library:
        abort(404)
    form = LessonForm()
    if form.validate_on_submit():
        try:
            authoring.add_lesson(
                course,
                kind_key,
                form.title.data or "",
                bool(form.required.data),
                _lesson_fields(form, kind_key),
                _uploads(form),
            )
        except ValidationError as exc:
            _apply_error(form, exc)
        else:
            flash(_("The lesson was added."), "success")
            return redirect(url_for("authoring.edit_course", course_id=course.id) + "#lessons")
    status = 200 if request.method == "GET" else 422
    return render_template(
        "learning/admin/lesson_form.html",
        form=form,
        course=course,
        lesson=None,
        kind=get_kind(kind_key),
        **get_kind(kind_key).author_context(),
    ), status


@bp.route("/courses/<int:course_id>/lessons/<int:lesson_id>", methods=["GET", "POST"])
@require_author
def edit_lesson(course_id: int, lesson_id: int) -> Any:
    course = get_or_404(Course, course_id)
    lesson = get_or_404(Lesson, lesson_id)
    if lesson.course_id != course.id or course.from_library:
        abort(404)
    form = LessonForm(obj=lesson) if request.method == "GET" else LessonForm()
    if request.method == "GET":
        content = lesson.content or {}
        form.body.data = content.get("markdown", "")
        form.video_url.data = content.get("url", "")
        form.captions_language.data = content.get("captions_language", "en")
        form.transcript.data = content.get("transcript", "")
        form.note.data = content.get("note", "")
    if form.validate_on_submit():
        try:
            authoring.update_lesson(
                lesson,
                form.title.data or "",
                bool(form.required.data),
                _lesson_fields(form, lesson.kind),
                _uploads(form),
            )
        except ValidationError as exc:
            _apply_error(form, exc)
        else:
            flash(_("The lesson was saved."), "success")
            return redirect(url_for("authoring.edit_course", course_id=course.id) + "#lessons")
    status = 200 if request.method == "GET" else 422
    return render_template(
        "learning/admin/lesson_form.html",
        form=form,
        course=course,
        lesson=lesson,
        kind=get_kind(lesson.kind),
        **get_kind(lesson.kind).author_context(),
    ), status


@bp.route("/courses/<int:course_id>/lessons/<int:lesson_id>/move", methods=["POST"])
@require_author
def move_lesson(course_id: int, lesson_id: int) -> Any:
    course = get_or_404(Course, course_id)
    lesson = get_or_404(Lesson, lesson_id)
    if lesson.course_id != course.id:
        abort(404)
    direction = -1 if request.form.get("direction") == "up" else 1
    try:
        authoring.move_lesson(lesson, direction)
    except ValidationError as exc:
        flash(exc.message, "error")
    else:
        flash(
            _(
                "“%(title)s” moved %(where)s.",
                title=lesson.title,
                where=_("up") if direction < 0 else _("down"),
            ),
            "success",
        )
    return redirect(url_for("authoring.edit_course", course_id=course.id) + f"#lesson-{lesson.id}")


@bp.route("/courses/<int:course_id>/lessons/order", methods=["POST"])
@require_author
def reorder_lessons(course_id: int) -> Any:
    """The new order after drag and drop (SortableJS)."""
    course = get_or_404(Course, course_id)
    try:
        ids = [id_number(v) for v in request.form.getlist("lesson")]
        authoring.reorder_lessons(course, ids)
    except (ValueError, ValidationError) as exc:
        message = exc.message if isinstance(exc, ValidationError) else _("The order could not be read.")
        return jsonify(error=message), 422
    return jsonify(ok=True, message=_("The new order is saved."))


@bp.route("/courses/<int:course_id>/lessons/<int:lesson_id>/remove", methods=["POST"])
@require_author
def remove_lesson(course_id: int, lesson_id: int) -> Any:
    course = get_or_404(Course, course_id)
    lesson = get_or_404(Lesson, lesson_id)
    if lesson.course_id != course.id:
        abort(404)
    try:
        authoring.remove_lesson(lesson)
    except ValidationError as exc:
        flash(exc.message, "error")
    else:
        flash(_("The lesson was removed."), "success")
    return redirect(url_for("authoring.edit_course", course_id=course.id) + "#lessons")


# ---------------------------------------------------------------- enrollments


def _enrol_form() -> EnrolForm:
    form = EnrolForm()
    q = request.args.get("q", "")
    people, _total = _search_people(q)
    form.people.choices = as_choices((u.id, f"{u.full_name} ({u.email})") for u in people)
    form.group_id.choices = as_choices(
        [("", _("— none —"))]
        + [(str(gr.id), gr.name) for gr in db.session.scalars(select(Group).order_by(Group.name))]
    )
    form.org_unit_id.choices = as_choices(
        [("", _("— none —"))] + [(str(u.id), "\u00a0\u00a0" * d + u.name) for u, d in org_unit_tree()]
    )
    form.due_mode.choices = as_choices(rule_service.DUE_MODES.items())
    return form


def _search_people(q: str) -> tuple[list[User], int]:
    from app.accounts.services import search_users

    return search_users(q, status=UserStatus.active.value, per_page=50)


def _enrol_from_form(form: EnrolForm, target: Course | LearningPath) -> bool:
    """Enrol the people, group or org unit chosen on *form* in *target*; report errors on the form."""
    people = enrolling.people_for(
        user_ids=form.people.data or [],
        group_id=form.group_id.data,
        org_unit_id=form.org_unit_id.data,
    )
    if not people:
        form.form_errors.append(_("Choose people, a group or an organisation unit."))
        return False
    try:
        counts = enrolling.enrol_people(
            people,
            target,
            due_mode=form.due_mode.data or "none",
            due_days=form.due_days.data,
            due_date=form.due_date.data,
            assigned_by=current_user,
        )
    except ValidationError as exc:
        db.session.rollback()
        _apply_error(form, exc)
        return False
    flash(
        _(
            "%(new)d enrolled; %(existing)d were already enrolled.",
            new=counts["created"],
            existing=counts["existing"],
        ),
        "success",
    )
    return True


@bp.route("/courses/<int:course_id>/enrollments", methods=["GET", "POST"])
@require_permission(MANAGE)
def course_enrollments(course_id: int) -> Any:
    course = get_or_404(Course, course_id)
    form = _enrol_form()
    if form.validate_on_submit() and _enrol_from_form(form, course):
        return redirect(url_for("authoring.course_enrollments", course_id=course.id))
    rows = db.session.scalars(
        select(Enrollment)
        .where(Enrollment.course_id == course.id)
        .options(selectinload(Enrollment.user))
        .order_by(Enrollment.withdrawn_at.is_not(None), Enrollment.enrolled_at.desc())
    ).all()
    status = 200 if request.method == "GET" else 422
    return render_template(
        "learning/admin/enrollments.html",
        course=course,
        form=form,
        enrollments=rows,
        q=request.args.get("q", ""),
    ), status


@bp.route("/enrollments/<int:enrollment_id>/withdraw", methods=["POST"])
@require_permission(MANAGE)
def withdraw(enrollment_id: int) -> Any:
    enrollment = get_or_404(Enrollment, enrollment_id)
    enrolling.withdraw(enrollment)
    flash(
        _("%(name)s was withdrawn; their progress stays on record.", name=enrollment.user.full_name),
        "success",
    )
    return redirect(url_for("authoring.course_enrollments", course_id=enrollment.course_id))


# ---------------------------------------------------------------- rules


def _targets() -> list[tuple[str, str]]:
    courses = db.session.scalars(
        select(Course).where(Course.status == "published").order_by(Course.title)
    ).all()
    paths = db.session.scalars(
        select(LearningPath).where(LearningPath.status == "published").order_by(LearningPath.title)
    ).all()
    return [(f"course:{c.id}", _("Course: %(title)s", title=c.title)) for c in courses] + [
        (f"path:{p.id}", _("Path: %(title)s", title=p.title)) for p in paths
    ]


def _rule_form(rule: EnrollmentRule | None = None) -> RuleForm:
    form = RuleForm(obj=rule) if request.method == "GET" and rule else RuleForm()
    form.target.choices = as_choices([("", _("— choose —")), *_targets()])
    form.due_mode.choices = as_choices(rule_service.DUE_MODES.items())
    if request.method == "GET" and rule is not None:
        form.target.data = f"course:{rule.course_id}" if rule.course_id else f"path:{rule.path_id}"
    return form


def _posted_conditions() -> list[dict[str, str]]:
    fields = request.form.getlist("condition_field")
    ops = request.form.getlist("condition_op")
    texts = request.form.getlist("condition_value")
    units = request.form.getlist("condition_unit")
    groups = request.form.getlist("condition_group")
    names = request.form.getlist("condition_name")

    def at(values: list[str], i: int) -> str:
        return values[i] if i < len(values) else ""

    rows = []
    for i, field in enumerate(fields):
        value = at(units, i) if field == "org_unit" else at(groups, i) if field == "group" else at(texts, i)
        rows.append({"field": field, "op": at(ops, i) or "is", "value": value, "name": at(names, i)})
    return rows


def _rule_fields(form: RuleForm) -> dict[str, Any]:
    return {
        "name": form.name.data,
        "match": form.match.data,
        "target": form.target.data,
        "due_mode": form.due_mode.data,
        "due_days": form.due_days.data,
        "due_date": form.due_date.data,
    }


def _rule_context(
    form: RuleForm, rule: EnrollmentRule | None, conditions: list[dict[str, str]], preview: Any = None
) -> dict[str, Any]:
    while len(conditions) < 3:
        conditions = [*conditions, {"field": "", "op": "is", "value": "", "name": ""}]
    return {
        "form": form,
        "rule": rule,
        "conditions": conditions,
        "preview": preview,
        "fields": rule_service.FIELDS,
        "operators": rule_service.OPERATORS,
        "units": org_unit_tree(),
        "groups": db.session.scalars(select(Group).order_by(Group.name)).all(),
    }


@bp.route("/rules")
@require_permission(MANAGE)
def rules() -> Any:
    rows = db.session.scalars(select(EnrollmentRule).order_by(EnrollmentRule.name)).all()
    return render_template("learning/admin/rules.html", rules=rows)


@bp.route("/rules/new", methods=["GET", "POST"])
@bp.route("/rules/<int:rule_id>", methods=["GET", "POST"])
@require_permission(MANAGE)
def edit_rule(rule_id: int | None = None) -> Any:
    rule = get_or_404(EnrollmentRule, rule_id) if rule_id is not None else None
    form = _rule_form(rule)
    conditions = _posted_conditions() if request.method == "POST" else list(rule.conditions if rule else [])
    preview = None
    if request.method == "POST":
        form_valid = form.validate_on_submit()
        saving = request.form.get("action") == "save"
        try:
            # Checked even when the form itself is refused, so every problem shows at once.
            draft = rule_service.clean_rule(_rule_fields(form), conditions, require_name=saving)
            if form_valid:
                preview = rule_service.preview(draft)
                if saving:
                    saved = rule_service.save_rule(rule, draft)
                    enrolled = rule_service.run_rule(saved)
                    flash(
                        _(
                            "The rule “%(name)s” is saved and enrolled %(n)d people now. "
                            "It keeps enrolling people "
                            "who match as they join or change.",
                            name=saved.name,
                            n=enrolled,
                        ),
                        "success",
                    )
                    return redirect(url_for("authoring.rules"))
        except ValidationError as exc:
            for error in getattr(exc, "errors", [exc]):
                field = getattr(form, error.field or "", None)
                if field is None or not field.errors:  # one message per field
                    _apply_error(form, error)
    status = 200 if request.method == "GET" or (preview is not None and not form.errors) else 422
    template = (
        "learning/admin/_rule_editor.html"
        if request.headers.get("HX-Request")
        else "learning/admin/rule_form.html"
    )
    return render_template(template, **_rule_context(form, rule, conditions, preview)), status


@bp.route("/rules/<int:rule_id>/run", methods=["POST"])
@require_permission(MANAGE)
def run_rule(rule_id: int) -> Any:
    rule = get_or_404(EnrollmentRule, rule_id)
    enrolled = rule_service.run_rule(rule)
    flash(_("“%(name)s” ran and enrolled %(n)d people.", name=rule.name, n=enrolled), "success")
    return redirect(url_for("authoring.rules"))


@bp.route("/rules/<int:rule_id>/active", methods=["POST"])
@require_permission(MANAGE)
def rule_active(rule_id: int) -> Any:
    rule = get_or_404(EnrollmentRule, rule_id)
    rule_service.set_rule_active(rule, request.form.get("active") == "1")
    return redirect(url_for("authoring.rules"))


# ---------------------------------------------------------------- paths


@bp.route("/paths")
@require_author
def paths() -> Any:
    rows = db.session.scalars(
        select(LearningPath).options(selectinload(LearningPath.steps)).order_by(LearningPath.title)
    ).all()
    return render_template("learning/admin/paths.html", paths=rows)


def _path_course_order() -> list[int]:
    positions = []
    for key, value in request.form.items():
        if key.startswith("position_") and value.strip():
            try:
                positions.append((whole_number(value), id_number(key[9:])))
            except ValueError:
                raise ValidationError(
                    _("Number the courses 1, 2, 3… in the order people take them."), field="courses"
                ) from None
    return [course_id for _pos, course_id in sorted(positions)]


@bp.route("/paths/new", methods=["GET", "POST"])
@bp.route("/paths/<int:path_id>", methods=["GET", "POST"])
@require_author
def edit_path(path_id: int | None = None) -> Any:
    path = get_or_404(LearningPath, path_id) if path_id is not None else None
    form = PathForm(obj=path) if request.method == "GET" and path else PathForm()
    all_courses = db.session.scalars(
        select(Course).where(Course.status != "archived").order_by(Course.title)
    ).all()
    positions = {s.course_id: s.position for s in path.steps} if path else {}
    if request.method == "POST":
        positions = {
            course_id: v
            for k, v in request.form.items()
            if k.startswith("position_") and v.strip() and (course_id := parse_id(k[9:])) is not None
        }
    if form.validate_on_submit():
        try:
            order = _path_course_order()
            if path is None:
                path = authoring.create_path(
                    {
                        "title": form.title.data,
                        "description": form.description.data,
                        "self_enroll": form.self_enroll.data,
                    }
                )
            else:
                path.title = (form.title.data or "").strip()
                path.description = (form.description.data or "").strip()
                path.self_enroll = bool(form.self_enroll.data)
            authoring.set_path_courses(path, order)
            action = request.form.get("action")
            if action in ("published", "draft", "archived"):
                authoring.set_path_status(path, action)
        except ValidationError as exc:
            db.session.rollback()
            _apply_error(form, exc)
        else:
            flash(_("The path “%(title)s” was saved.", title=path.title), "success")
            return redirect(url_for("authoring.edit_path", path_id=path.id))
    status = 200 if request.method == "GET" else 422
    return render_template(
        "learning/admin/path_form.html", form=form, path=path, courses=all_courses, positions=positions
    ), status


@bp.route("/paths/<int:path_id>/enrollments", methods=["GET", "POST"])
@require_permission(MANAGE)
def path_enrollments(path_id: int) -> Any:
    """Enrol people, a group or an org unit in a path; its courses follow as they unlock."""
    from app.learning.models import PathEnrollment

    path = get_or_404(LearningPath, path_id)
    form = _enrol_form()
    if form.validate_on_submit() and _enrol_from_form(form, path):
        return redirect(url_for("authoring.path_enrollments", path_id=path.id))
    rows = db.session.scalars(
        select(PathEnrollment)
        .where(PathEnrollment.path_id == path.id)
        .order_by(PathEnrollment.enrolled_at.desc())
    ).all()
    users = {u.id: u for u in db.session.scalars(select(User).where(User.id.in_([r.user_id for r in rows])))}
    status = 200 if request.method == "GET" else 422
    return render_template(
        "learning/admin/path_enrollments.html",
        path=path,
        form=form,
        enrollments=rows,
        users=users,
        q=request.args.get("q", ""),
    ), status
