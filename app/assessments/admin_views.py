"""Authoring assessments: question banks, the question editor, quizzes and their results per question."""

from __future__ import annotations

import re
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import format_percent
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.accounts.access import get_or_404
from app.accounts.admin_views import _apply_error
from app.accounts.forms import as_choices
from app.assessments import authoring, grading
from app.assessments import services as assessments
from app.assessments.forms import BankForm, FixedQuestionForm, PoolForm, QuestionForm, QuizForm
from app.assessments.models import Question, QuestionBank, QuestionType, Quiz, QuizSection
from app.errors import ValidationError
from app.extensions import db
from app.inputs import parse_id, whole_number
from app.learning.admin_views import require_author as require_course_author


def require_author(view: Any) -> Any:
    """Tenant authors build quizzes for their courses; platform operators build them for library packages."""
    from functools import wraps

    from flask import g

    from app.accounts import permissions as perms
    from app.accounts.access import require_permission

    tenant_view = require_course_author(view)
    platform_view = require_permission(perms.PLATFORM_LIBRARY, platform=True)(view)

    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        tenant = g.get("tenant")
        if tenant is not None and tenant.is_platform:
            return platform_view(*args, **kwargs)
        return tenant_view(*args, **kwargs)

    return wrapped


bp = Blueprint("assessment_admin", __name__, url_prefix="/admin")

QUESTION_TYPES = {
    QuestionType.single.value: _l("Single choice"),
    QuestionType.multiple.value: _l("Multiple response"),
    QuestionType.true_false.value: _l("True or false"),
    QuestionType.short_answer.value: _l("Short answer"),
    QuestionType.numeric.value: _l("Number"),
    QuestionType.ordering.value: _l("Put in order"),
    QuestionType.matching.value: _l("Matching pairs"),
}
CHOICE_KINDS = (QuestionType.single.value, QuestionType.multiple.value)
# Blank rows offered for answers and pairs, so the editor works without JavaScript.
ROW_COUNT = 6
MAX_ROWS = 100


@bp.context_processor
def _assessment_helpers() -> dict[str, Any]:
    def percent(value: float | None) -> str:
        return "—" if value is None else format_percent(value / 100, "#,##0.#%")

    return {"question_types": QUESTION_TYPES, "percent": percent}


def _status() -> int:
    """A page shown again after a POST is showing errors (success redirects)."""
    return 422 if request.method == "POST" else 200


# ---------------------------------------------------------------- banks


@bp.route("/quizzes/banks")
@require_author
def banks() -> Any:
    return render_template("assessments/admin/banks.html", banks=assessments.banks_with_counts())


@bp.route("/quizzes/banks/new", methods=["GET", "POST"])
@require_author
def new_bank() -> Any:
    form = BankForm()
    if form.validate_on_submit():
        try:
            bank = assessments.create_bank(form.title.data or "", form.description.data or "")
        except ValidationError as exc:
            _apply_error(form, exc)
        else:
            flash(
                _("The question bank “%(title)s” was created. Add its questions.", title=bank.title),
                "success",
            )
            return redirect(url_for("assessment_admin.bank", bank_id=bank.id))
    return render_template("assessments/admin/bank_form.html", form=form), _status()


@bp.route("/quizzes/banks/<int:bank_id>", methods=["GET", "POST"])
@require_author
def bank(bank_id: int) -> Any:
    bank = get_or_404(QuestionBank, bank_id)
    form = BankForm(obj=bank) if request.method == "GET" else BankForm()
    if form.validate_on_submit():
        try:
            assessments.update_bank(bank, form.title.data or "", form.description.data or "")
        except ValidationError as exc:
            db.session.rollback()
            _apply_error(form, exc)
        else:
            flash(_("The question bank was saved."), "success")
            return redirect(url_for("assessment_admin.bank", bank_id=bank.id))
    return render_template(
        "assessments/admin/bank.html", bank=bank, form=form, questions=authoring.bank_questions(bank)
    ), _status()


# ---------------------------------------------------------------- questions


def _blank_option() -> dict[str, Any]:
    return {"id": "", "text": "", "correct": False, "feedback": ""}


def _blank_pair() -> dict[str, Any]:
    return {"id": "", "left": "", "right": ""}


def _padded(rows: list[dict[str, Any]], blank: Any) -> list[dict[str, Any]]:
    return rows + [blank() for _n in range(max(ROW_COUNT, len(rows) + 2) - len(rows))]


def _posted_rows(prefix: str, keys: tuple[str, ...]) -> list[dict[str, Any]]:
    """Rows posted as ``<prefix>-<n>-<key>``, in row order, every row kept (blank ones too)."""
    numbers = sorted(
        {
            int(match.group(1))
            for name in request.form
            if (match := re.fullmatch(rf"{prefix}-(\d+)-\w+", name))
        }
    )
    correct = set(request.form.getlist("correct"))
    rows = []
    for number in numbers[:MAX_ROWS]:  # the editor never offers more; a crafted post gets no more
        row: dict[str, Any] = {key: request.form.get(f"{prefix}-{number}-{key}", "") for key in keys}
        if prefix == "option":
            row["correct"] = str(number) in correct
        rows.append(row)
    return rows


def _question_draft(kind: str, form: QuestionForm, question: Question | None) -> tuple[dict[str, Any], dict]:
    """Read the editor into the draft ``clean_question`` expects, and the rows to show again."""
    draft: dict[str, Any] = {
        "type": kind,
        "prompt": form.prompt.data or "",
        "points": (form.points.data or "").strip(),
        "feedback_correct": form.feedback_correct.data or "",
        "feedback_incorrect": form.feedback_incorrect.data or "",
    }
    rows: dict[str, Any] = {"options": [], "pairs": [], "truth": {}}
    if kind in CHOICE_KINDS:
        rows["options"] = _posted_rows("option", ("id", "text", "feedback"))
        draft["options"] = rows["options"]
    elif kind == QuestionType.true_false.value:
        rows["truth"] = {
            "answer": request.form.get("answer", ""),
            "true": request.form.get("feedback_true", ""),
            "false": request.form.get("feedback_false", ""),
        }
        draft["answer"] = rows["truth"]["answer"]
        draft["options"] = [
            {"id": "true", "feedback": rows["truth"]["true"]},
            {"id": "false", "feedback": rows["truth"]["false"]},
        ]
    elif kind == QuestionType.short_answer.value:
        draft["accepted"] = form.accepted.data or ""
        draft["pattern"] = form.pattern.data or ""
    elif kind == QuestionType.numeric.value:
        draft["answer"] = form.answer.data or ""
        draft["tolerance"] = form.tolerance.data or ""
    elif kind == QuestionType.ordering.value:
        # A step whose wording is unchanged keeps its id from the revision before.
        before = {}
        if question is not None and question.current.type == kind:
            before = {item["text"]: item["id"] for item in question.current.data.get("items", [])}
        lines = [" ".join(line.split()) for line in (form.items.data or "").splitlines() if line.strip()]
        draft["items"] = [{"id": before.get(line), "text": line} for line in lines]
    elif kind == QuestionType.matching.value:
        rows["pairs"] = _posted_rows("pair", ("id", "left", "right"))
        draft["pairs"] = rows["pairs"]
    return draft, rows


def _fill_from_revision(form: QuestionForm, question: Question) -> dict[str, Any]:
    """Put the current revision into the editor; return its rows."""
    revision = question.current
    data = revision.data or {}
    form.prompt.data = revision.prompt
    form.points.data = str(revision.points)
    form.feedback_correct.data = data.get("feedback_correct", "")
    form.feedback_incorrect.data = data.get("feedback_incorrect", "")
    rows: dict[str, Any] = {"options": [], "pairs": [], "truth": {}}
    if revision.type in CHOICE_KINDS:
        rows["options"] = [dict(option) for option in data.get("options", [])]
    elif revision.type == QuestionType.true_false.value:
        options = {o["id"]: o for o in data.get("options", [])}
        rows["truth"] = {
            "answer": next((o["id"] for o in data.get("options", []) if o.get("correct")), ""),
            "true": options.get("true", {}).get("feedback", ""),
            "false": options.get("false", {}).get("feedback", ""),
        }
    elif revision.type == QuestionType.short_answer.value:
        form.accepted.data = "\n".join(data.get("accepted", []))
        form.pattern.data = data.get("pattern", "")
    elif revision.type == QuestionType.numeric.value:
        form.answer.data = str(data.get("answer", ""))
        form.tolerance.data = str(data.get("tolerance", "0"))
    elif revision.type == QuestionType.ordering.value:
        form.items.data = "\n".join(item["text"] for item in data.get("items", []))
    elif revision.type == QuestionType.matching.value:
        rows["pairs"] = [dict(pair) for pair in data.get("pairs", [])]
    return rows


def _editor(
    form: QuestionForm, kind: str, bank: QuestionBank, question: Question | None, rows: dict[str, Any]
) -> str:
    return render_template(
        "assessments/admin/question_form.html",
        form=form,
        kind=kind,
        bank=bank,
        question=question,
        options=_padded(rows["options"], _blank_option),
        pairs=_padded(rows["pairs"], _blank_pair),
        truth=rows["truth"],
        revision_use=authoring.revision_use(question) if question is not None else {},
    )


@bp.route("/quizzes/banks/<int:bank_id>/questions/new", methods=["GET", "POST"])
@require_author
def new_question(bank_id: int) -> Any:
    bank = get_or_404(QuestionBank, bank_id)
    kind = request.values.get("type", "")
    if kind not in QUESTION_TYPES:
        abort(404)
    form = QuestionForm()
    rows: dict[str, Any] = {"options": [], "pairs": [], "truth": {}}
    if form.validate_on_submit():
        try:
            draft, rows = _question_draft(kind, form, None)
            assessments.add_question(bank, draft)
        except ValidationError as exc:
            db.session.rollback()
            _apply_error(form, exc)
        else:
            flash(_("The question was added to “%(title)s”.", title=bank.title), "success")
            return redirect(url_for("assessment_admin.bank", bank_id=bank.id))
    elif request.method == "POST":
        _draft, rows = _question_draft(kind, form, None)
    return _editor(form, kind, bank, None, rows), _status()


@bp.route("/quizzes/questions/<int:question_id>", methods=["GET", "POST"])
@require_author
def edit_question(question_id: int) -> Any:
    question = get_or_404(Question, question_id)
    kind = question.current.type
    form = QuestionForm()
    if request.method == "GET":
        rows = _fill_from_revision(form, question)
    elif form.validate_on_submit():
        try:
            draft, rows = _question_draft(kind, form, question)
            number = question.current.number
            revision = assessments.revise_question(question, draft)
        except ValidationError as exc:
            db.session.rollback()
            _apply_error(form, exc)
        else:
            if revision.number == number:
                flash(_("Nothing changed, so no new revision was made."), "success")
            else:
                flash(
                    _(
                        "Saved as revision %(n)d. Attempts already taken keep the revision they saw.",
                        n=revision.number,
                    ),
                    "success",
                )
            return redirect(url_for("assessment_admin.edit_question", question_id=question.id))
    else:
        _draft, rows = _question_draft(kind, form, question)
    return _editor(form, kind, question.bank, question, rows), _status()


@bp.route("/quizzes/questions/<int:question_id>/active", methods=["POST"])
@require_author
def question_active(question_id: int) -> Any:
    question = get_or_404(Question, question_id)
    active = request.values.get("active") == "1"
    try:
        assessments.set_question_active(question, active)
    except ValidationError as exc:  # a library bank is read-only here
        flash(exc.message, "error")
        return redirect(url_for("assessment_admin.edit_question", question_id=question.id))
    if active:
        flash(_("The question is back in use: quizzes may draw it again."), "success")
    else:
        flash(
            _("The question was retired: no new attempt will show it. Its results stay on record."),
            "success",
        )
    return redirect(url_for("assessment_admin.edit_question", question_id=question.id))


# ---------------------------------------------------------------- quizzes


@bp.route("/quizzes")
@require_author
def quizzes() -> Any:
    return render_template("assessments/admin/quizzes.html", rows=authoring.quiz_rows())


def _quiz_values(form: QuizForm) -> dict[str, Any]:
    return {name: getattr(form, name).data for name in assessments.QUIZ_SETTINGS}


@bp.route("/quizzes/new", methods=["GET", "POST"])
@require_author
def new_quiz() -> Any:
    form = QuizForm()
    if form.validate_on_submit():
        try:
            quiz = assessments.create_quiz(_quiz_values(form))
        except ValidationError as exc:
            db.session.rollback()
            _apply_error(form, exc)
        else:
            flash(_("The quiz “%(title)s” was created. Now add its questions.", title=quiz.title), "success")
            return redirect(url_for("assessment_admin.edit_quiz", quiz_id=quiz.id) + "#questions")
    return render_template("assessments/admin/quiz_form.html", form=form, quiz=None), _status()


def _load_quiz(quiz_id: int) -> Quiz:
    quiz = assessments.load_quiz(quiz_id)
    if quiz is None:
        abort(404)
    return quiz


def _parts_forms() -> tuple[FixedQuestionForm, PoolForm]:
    fixed, pool = FixedQuestionForm(), PoolForm()
    picks = authoring.questions_to_pick()
    fixed.question_id.choices = as_choices(
        [("", _("— choose a question —"))]
        + [
            (str(q.id), f"{bank.title}: {_shorten(q.current.prompt)}")
            for bank, questions in picks
            for q in questions
        ]
    )
    pool.bank_id.choices = as_choices(
        [("", _("— choose a bank —"))]
        + [
            (str(bank.id), _("%(title)s (%(n)d active questions)", title=bank.title, n=count))
            for bank, count in assessments.banks_with_counts()
        ]
    )
    return fixed, pool


def _shorten(text: str, length: int = 90) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= length else flat[: length - 1] + "…"


def _quiz_page(quiz: Quiz, form: QuizForm, fixed: Any = None, pool: Any = None, failed: Any = None) -> str:
    default_fixed, default_pool = _parts_forms()
    return render_template(
        "assessments/admin/quiz_form.html",
        quiz=quiz,
        form=form,
        fixed=fixed or default_fixed,
        pool=pool or default_pool,
        failed=failed or form,
        question_count=assessments.question_count(quiz),
        shorten=_shorten,
    )


@bp.route("/quizzes/<int:quiz_id>", methods=["GET", "POST"])
@require_author
def edit_quiz(quiz_id: int) -> Any:
    quiz = _load_quiz(quiz_id)
    form = QuizForm(obj=quiz) if request.method == "GET" else QuizForm()
    if request.method == "GET":
        for name in ("pass_percent", "time_limit_minutes", "max_attempts", "wait_minutes"):
            value = getattr(quiz, name)
            getattr(form, name).data = "" if value is None else str(value)
    if form.validate_on_submit():
        try:
            assessments.update_quiz(quiz, _quiz_values(form))
        except ValidationError as exc:
            db.session.rollback()
            _apply_error(form, exc)
        else:
            flash(_("The quiz settings were saved."), "success")
            return redirect(url_for("assessment_admin.edit_quiz", quiz_id=quiz.id))
    return _quiz_page(quiz, form), _status()


@bp.route("/quizzes/<int:quiz_id>/questions", methods=["POST"])
@require_author
def add_quiz_question(quiz_id: int) -> Any:
    quiz = _load_quiz(quiz_id)
    fixed, pool = _parts_forms()
    if fixed.validate_on_submit():
        raw = fixed.question_id.data or ""
        question_id = parse_id(raw)
        question = db.session.get(Question, question_id) if question_id else None
        try:
            if question is None or not question.active:
                raise ValidationError(_("Choose a question to add."), field="question_id")
            assessments.add_fixed_question(quiz, question)
        except ValidationError as exc:
            db.session.rollback()
            _apply_error(fixed, exc)
        else:
            flash(_("The question was added to the quiz."), "success")
            return redirect(url_for("assessment_admin.edit_quiz", quiz_id=quiz.id) + "#questions")
    quiz = _load_quiz(quiz_id)
    return _quiz_page(quiz, QuizForm(obj=quiz, formdata=None), fixed, pool, fixed), 422


@bp.route("/quizzes/<int:quiz_id>/pools", methods=["POST"])
@require_author
def add_quiz_pool(quiz_id: int) -> Any:
    quiz = _load_quiz(quiz_id)
    fixed, pool = _parts_forms()
    if pool.validate_on_submit():
        raw_bank = pool.bank_id.data or ""
        bank_id = parse_id(raw_bank)
        bank = db.session.get(QuestionBank, bank_id) if bank_id else None
        try:
            if bank is None:
                raise ValidationError(_("Choose the bank to draw from."), field="bank_id")
            raw_count = (pool.draw_count.data or "").strip()
            try:
                draw_count = whole_number(raw_count, minimum=0)
            except ValueError:
                raise ValidationError(
                    _("Enter how many questions to draw, as a whole number."), field="draw_count"
                ) from None
            assessments.add_pool(quiz, bank, draw_count)
        except ValidationError as exc:
            db.session.rollback()
            _apply_error(pool, exc)
        else:
            flash(
                _(
                    "Each attempt now draws %(n)d questions at random from “%(title)s”.",
                    n=int(raw_count),
                    title=bank.title,
                ),
                "success",
            )
            return redirect(url_for("assessment_admin.edit_quiz", quiz_id=quiz.id) + "#questions")
    quiz = _load_quiz(quiz_id)
    return _quiz_page(quiz, QuizForm(obj=quiz, formdata=None), fixed, pool, pool), 422


@bp.route("/quizzes/<int:quiz_id>/sections/<int:section_id>/remove", methods=["POST"])
@require_author
def remove_quiz_section(quiz_id: int, section_id: int) -> Any:
    quiz = _load_quiz(quiz_id)
    section = get_or_404(QuizSection, section_id)
    if section.quiz_id != quiz.id:
        abort(404)
    try:
        assessments.remove_section(quiz, section)
    except ValidationError as exc:  # a library quiz is read-only here
        flash(exc.message, "error")
        return redirect(url_for("assessment_admin.edit_quiz", quiz_id=quiz.id) + "#questions")
    flash(_("That part was taken out of the quiz. Attempts already made keep what they showed."), "success")
    return redirect(url_for("assessment_admin.edit_quiz", quiz_id=quiz.id) + "#questions")


@bp.route("/quizzes/<int:quiz_id>/results")
@require_author
def quiz_results(quiz_id: int) -> Any:
    quiz = get_or_404(Quiz, quiz_id)
    # Hardest first; among equally rare full marks, the one with the least partial credit first.
    results = sorted(assessments.question_results(quiz), key=lambda r: (r.right_percent, r.average_credit))
    retired = set(
        db.session.scalars(
            select(Question.id).where(
                Question.id.in_([r.revision.question_id for r in results] or [0]), Question.active.is_(False)
            )
        )
    )
    return render_template(
        "assessments/admin/results.html",
        quiz=quiz,
        summary=assessments.quiz_summary(quiz),
        results=results,
        retired=retired,
        choice_types=grading.CHOICE_TYPES,
        option_label=grading.option_label,
    )
