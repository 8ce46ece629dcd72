"""Admin → Translations: what is left to translate, a side-by-side editor, XLIFF/PO export and import."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup

from app.accounts import permissions as perms
from app.accounts.access import require_permission
from app.errors import ValidationError, ValidationErrors
from app.extensions import db
from app.forms import form_status
from app.inputs import past_last_page
from app.locales import LOCALE_NAMES, RTL_LOCALES
from app.multilingual import services, workspace
from app.multilingual.exchange import ExchangeError
from app.multilingual.kinds import all_kinds, kind_named, portal_locale
from app.text import render_markdown

bp = Blueprint("translations", __name__, url_prefix="/admin/translations")

PER_PAGE = 50
# A translation file of a whole portal is a few megabytes at most.
MAX_IMPORT_BYTES = 10 * 1024 * 1024


def _locales() -> list[str]:
    return services.translatable_locales()


def _chosen_locale() -> str:
    locales = _locales()
    wanted = request.values.get("locale") or ""
    if wanted in locales:
        return wanted
    others = [code for code in locales if code != portal_locale()]
    return (others or locales or ["en"])[0]


def _page_number() -> int:
    raw = request.args.get("page", "1")
    return min(int(raw), 10_000) if raw.isdigit() and len(raw) < 6 and int(raw) > 0 else 1


def _lang(locale: str) -> dict[str, str]:
    return {"lang": locale.replace("_", "-"), "dir": "rtl" if locale in RTL_LOCALES else "ltr"}


@bp.route("/")
@require_permission(perms.TRANSLATIONS_MANAGE)
def index() -> Any:
    """Choose a language; see per kind what is missing, partial, outdated, complete; open an item."""
    locale = _chosen_locale()
    kinds = all_kinds()
    kind = request.args.get("kind") or ""
    kind = kind if kind_named(kind) else ""
    status = request.args.get("status") or ""
    status = status if status in workspace.STATUSES else ""
    found = workspace.overview(locale)
    rows = [
        r
        for r in found.rows
        if (not kind or r.kind.name == kind) and (not status or workspace.matches(r, status))
    ]
    page = _page_number()
    if (back := past_last_page(PER_PAGE, page=(page, len(rows)))) is not None:
        return back
    return render_template(
        "multilingual/index.html",
        locale=locale,
        locales=[(code, LOCALE_NAMES[code]) for code in _locales()],
        kinds=kinds,
        kind=kind,
        status=status,
        statuses=workspace.STATUSES,
        counts=found.counts,
        rows=rows[(page - 1) * PER_PAGE : page * PER_PAGE],
        total=len(rows),
        page=page,
        per_page=PER_PAGE,
    )


def _item_or_404(item_kind: str, item_id: int, locale: str) -> tuple[Any, Any]:
    kind = kind_named(item_kind)
    obj = kind.load(item_id) if kind is not None and 0 < item_id < 2**31 else None
    if kind is None or obj is None or (item_kind == "question" and not obj.active):
        abort(404)
    if locale not in services.translatable_locales(kind.source_locale(obj)):
        abort(404)
    return kind, obj


@bp.route("/<item_kind>/<int:item_id>/<locale>", methods=["GET", "POST"])
@require_permission(perms.TRANSLATIONS_MANAGE)
def edit(item_kind: str, item_id: int, locale: str) -> Any:
    """Translate one item: each source text beside its translation; save, preview or mark it reviewed."""
    kind, obj = _item_or_404(item_kind, item_id, locale)
    state = services.item_state(kind, obj, locale)
    typed = {s.field.name: s.translation for s in state.fields}
    errors: dict[str, list[str]] = {}
    general: list[str] = []
    previews: dict[str, Any] = {}
    ok = False
    if request.method == "POST":
        action = request.form.get("action", "save")
        if action == "review":
            try:
                services.mark_reviewed(kind, obj, locale, by=current_user)
            except ValidationError as exc:
                general.append(exc.message)
            else:
                flash(_("The translation is marked as reviewed."), "success")
                return redirect(url_for(".edit", item_kind=kind.name, item_id=item_id, locale=locale))
        else:
            for s in state.fields:
                typed[s.field.name] = (request.form.get(f"t-{s.field.name}") or "").replace("\r\n", "\n")
            if action == "preview":
                previews = {
                    s.field.name: Markup(render_markdown(typed[s.field.name]))  # noqa: S704 - sanitised by render_markdown
                    for s in state.fields
                    if s.field.markdown and typed[s.field.name].strip()
                }
                ok = True
            else:
                confirmed = set(request.form.getlist("confirm"))
                texts = {
                    s.field.name: typed[s.field.name]
                    for s in state.fields
                    if typed[s.field.name] != s.translation or (s.outdated and s.field.name in confirmed)
                }
                try:
                    services.save_translation(kind, obj, locale, texts, by=current_user)
                except ValidationErrors as exc:
                    for error in exc.errors:
                        errors.setdefault(error.field or "", []).append(error.message)
                except ValidationError as exc:
                    errors.setdefault(exc.field or "", []).append(exc.message)
                else:
                    flash(_("The translation was saved."), "success")
                    return redirect(url_for(".edit", item_kind=kind.name, item_id=item_id, locale=locale))
    source = kind.source_locale(obj)
    return (
        render_template(
            "multilingual/edit.html",
            kind=kind,
            obj=obj,
            item_id=item_id,
            title=kind.title(obj),
            locale=locale,
            locale_name=LOCALE_NAMES.get(locale, locale),
            source_name=LOCALE_NAMES.get(source, source),
            source_attrs=_lang(source),
            target_attrs=_lang(locale),
            state=state,
            status="reviewed" if state.reviewed else state.status,
            typed=typed,
            errors=errors,
            general=general,
            previews=previews,
        ),
        form_status(ok=ok),
    )


@bp.route("/export")
@require_permission(perms.TRANSLATIONS_MANAGE)
def export() -> Any:
    """Choose a language, a format and what to include; download an XLIFF 2.0 or PO file."""
    from app.learning.models import Course

    locales = [code for code in _locales() if code != portal_locale()]
    courses = [
        c
        for c in db.session.scalars(db.select(Course).order_by(Course.title, Course.id))
        if (c.language or portal_locale()) == portal_locale()
    ]
    chosen = {
        "locale": request.args.get("locale") or (locales[0] if locales else ""),
        "format": request.args.get("format") or "xliff",
        "scope": request.args.get("scope") or "todo",
        "course": request.args.get("course") or "",
    }
    errors: dict[str, str] = {}
    if request.args.get("download"):
        if chosen["locale"] not in locales:
            errors["locale"] = _("Choose one of the portal's languages.")
        if chosen["format"] not in workspace.FORMATS:
            errors["format"] = _("Choose XLIFF or PO.")
        if chosen["scope"] not in workspace.SCOPES:
            errors["scope"] = _("Choose what the file should hold.")
        course = next((c for c in courses if str(c.id) == chosen["course"]), None)
        if chosen["scope"] == "course" and course is None:
            errors["course"] = _("Choose a course.")
        if not errors:
            units = workspace.export_units(chosen["locale"], chosen["scope"], course)
            try:
                body = workspace.export_file(chosen["locale"], chosen["format"], units)
            except ExchangeError as exc:
                errors["scope"] = str(exc)
            else:
                extension, mimetype = (
                    ("po", "text/x-gettext-translation")
                    if chosen["format"] == "po"
                    else ("xlf", "application/xliff+xml")
                )
                scoped = course is not None and chosen["scope"] == "course"
                what = f"course-{course.id}" if scoped and course is not None else chosen["scope"]
                filename = f"{g.tenant.slug}-translations-{chosen['locale']}-{what}.{extension}"
                return Response(
                    body,
                    mimetype=mimetype,
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'},
                )
    return (
        render_template(
            "multilingual/export.html",
            locales=[(code, LOCALE_NAMES[code]) for code in locales],
            courses=courses,
            chosen=chosen,
            errors=errors,
            source_name=LOCALE_NAMES.get(portal_locale(), portal_locale()),
        ),
        422 if errors else 200,
    )


@bp.route("/import", methods=["GET", "POST"])
@require_permission(perms.TRANSLATIONS_MANAGE)
def import_file() -> Any:
    """Upload a translated XLIFF or PO file: every unit is checked, then all are applied or none."""
    report = None
    error = ""
    apply_valid = request.form.get("apply_valid") == "1"
    if request.method == "POST":
        upload = request.files.get("file")
        data = upload.read(MAX_IMPORT_BYTES + 1) if upload else b""
        if not data:
            error = _("Choose an XLIFF or PO file to import.")
        elif len(data) > MAX_IMPORT_BYTES:
            error = _("This file is larger than 10 MB, too large for a translation file.")
        else:
            report = workspace.import_file(
                upload.filename or "" if upload else "", data, apply_valid=apply_valid, by=current_user
            )
            if report.error:
                error = report.error
    failed = bool(error) or (report is not None and not report.applied)
    return (
        render_template(
            "multilingual/import.html",
            report=report,
            error=error,
            apply_valid=apply_valid,
            locale_name=LOCALE_NAMES.get(report.locale, report.locale) if report else "",
        ),
        form_status(ok=not failed),
    )
