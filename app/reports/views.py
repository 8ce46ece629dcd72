"""The reports' pages: the list, a report with its filters and first rows, exports and saved definitions."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    g,
    redirect,
    render_template,
    send_file,
    stream_with_context,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from htmx_flask import request

from app.accounts import permissions as perms
from app.accounts.access import require_permission
from app.compliance.status import portal_zone
from app.errors import ValidationError, ValidationErrors
from app.extensions import db
from app.inputs import page_number, past_last_page
from app.reports import exports, services
from app.reports.forms import ExportForm, SaveForm, filter_form
from app.reports.models import ExportStatus, ReportExport, SavedReport
from app.reports.registry import REPORTS, Filters, Report, get_report
from app.storage import storage
from app.tenancy import as_tenant
from app.tenancy.models import utcnow

bp = Blueprint("reports", __name__, url_prefix="/reports")

PAGE_SIZE = 50


def _report_or_404(key: str) -> Report:
    report = get_report(key)
    if report is None:
        abort(404)
    return report


def _show_errors(form: Any, exc: ValidationError) -> None:
    for error in exc.errors if isinstance(exc, ValidationErrors) else [exc]:
        field = getattr(form, error.field or "", None)
        if field is not None:
            field.errors = [*field.errors, error.message]
        else:
            form.form_errors.append(error.message)


def _filter_args() -> dict[str, str]:
    """The filters of the query string (kept on the export and save forms' addresses)."""
    names = {name for report in REPORTS.values() for name in report.filter_names}
    return {k: v for k, v in request.args.items() if k in names and v}


@bp.route("/")
@require_permission(perms.REPORTS_VIEW)
def index() -> Any:
    """Every built-in report, the person's saved reports and their recent exports."""
    return render_template(
        "reports/index.html",
        reports=list(REPORTS.values()),
        saved=services.saved_reports_of(current_user),
        exports=services.recent_exports(current_user),
        names={r.key: r.title for r in REPORTS.values()},
    )


@bp.route("/<key>")
@require_permission(perms.REPORTS_VIEW)
def show(key: str) -> Any:
    """A report's filters and its first page of rows, with the total."""
    report = _report_or_404(key)
    form = filter_form(report, request.args, services.filter_choices(report))
    rows: list[list[Any]] | None = None
    total = 0
    page = request.args.get("page", 1, type=page_number)
    status = 200
    try:
        filters = services.parse_filters(report, request.args)
    except ValidationError as exc:
        _show_errors(form, exc)
        # A report that needs a choice first (a course) shows its form without an error on first sight.
        if not request.args and report.required_filters:
            for field in form:
                field.errors = []
        else:
            status = 422
    else:
        scope = services.scope_for(current_user)
        total = report.count(filters, scope)
        if (back := past_last_page(PAGE_SIZE, page=(page, total))) is not None:
            return back
        rows = report.page(filters, scope, page, PAGE_SIZE, portal_zone())
    context = {
        "report": report,
        "form": form,
        "rows": rows,
        "total": total,
        "page": page,
        "per_page": PAGE_SIZE,
        "filter_args": _filter_args(),
        "export_form": ExportForm(),
        "save_form": SaveForm(),
    }
    return render_template("reports/report.html", **context), status


@bp.route("/<key>/export", methods=["POST"])
@require_permission(perms.REPORTS_VIEW)
def export(key: str) -> Any:
    """CSV streams now, in constant memory; XLSX and PDF are written by a job whose page shows progress."""
    report = _report_or_404(key)
    form = ExportForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        filters = services.parse_filters(report, request.args)
    except ValidationError:
        flash(_("Correct the filters before exporting."), "error")
        return redirect(url_for("reports.show", key=key, **_filter_args()))  # type: ignore[arg-type]
    user = current_user._get_current_object()
    if form.format.data != "csv":
        job = services.request_export(user, report, form.format.data, filters)
        return redirect(url_for("reports.export_status", export_id=job.id))
    services.record_export(report, "csv", filters, requester=user)
    zone = portal_zone()
    heading = exports.Heading(
        report=report,
        filters=services.describe_filters(report, filters),
        generated=exports.generated_at(utcnow(), zone),
        portal=g.tenant.display_name,
    )
    scope = services.scope_for(user)
    filename = f"{report.key}-{utcnow():%Y%m%d-%H%M}.csv"
    bom = request.form.get("bom") == "1"
    lines = _as_tenant(g.tenant.id, exports.csv_export(heading, filters, scope, zone, bom=bom))
    return Response(
        stream_with_context(lines),
        content_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def _as_tenant(tenant_id: int, lines: Iterator[bytes]) -> Iterator[bytes]:
    """Stream *lines* as the request's tenant: the body is read after the view has returned."""
    with as_tenant(tenant_id):
        yield from lines


@bp.route("/<key>/save", methods=["POST"])
@require_permission(perms.REPORTS_VIEW)
def save(key: str) -> Any:
    """Keep the report with the query string's filters under a name, maybe sent by email on a schedule."""
    report = _report_or_404(key)
    form = SaveForm()
    filter_errors = False
    filters = Filters()
    try:
        filters = services.parse_filters(report, request.args)
    except ValidationError:
        filter_errors = True
    if form.validate_on_submit() and not filter_errors:
        try:
            saved = services.save_report(
                current_user,
                report,
                filters,
                name=form.name.data or "",
                schedule=form.schedule.data or "none",
                fmt=form.format.data or "csv",
                recipients=form.recipients.data or "",
            )
        except ValidationError as exc:
            _show_errors(form, exc)
        else:
            flash(_("Saved as %(name)s.", name=saved.name), "success")
            return redirect(url_for("reports.index"))
    if filter_errors:
        form.form_errors.append(_("Correct the filters before saving."))
    filter_form_ = filter_form(report, request.args, services.filter_choices(report))
    context = {
        "report": report,
        "form": filter_form_,
        "rows": None,
        "total": 0,
        "page": 1,
        "per_page": PAGE_SIZE,
        "filter_args": _filter_args(),
        "export_form": ExportForm(),
        "save_form": form,
        "save_open": True,
    }
    return render_template("reports/report.html", **context), 422


def _saved_or_404(saved_id: int) -> SavedReport:
    saved = db.session.get(SavedReport, saved_id)
    if saved is None or not services.may_use_saved(current_user, saved):
        abort(404)
    return saved


@bp.route("/saved/<int:saved_id>")
@require_permission(perms.REPORTS_VIEW)
def open_saved(saved_id: int) -> Any:
    """A saved report opens as its report with its filters."""
    saved = _saved_or_404(saved_id)
    return redirect(url_for("reports.show", key=saved.report_key, **saved.filters))


@bp.route("/saved/<int:saved_id>/delete", methods=["POST"])
@require_permission(perms.REPORTS_VIEW)
def delete_saved(saved_id: int) -> Any:
    saved = _saved_or_404(saved_id)
    name = saved.name
    services.delete_saved_report(saved)
    flash(_("Deleted the saved report %(name)s.", name=name), "success")
    return redirect(url_for("reports.index"))


def _export_or_404(export_id: int) -> ReportExport:
    found = db.session.get(ReportExport, export_id)
    if found is None or not services.may_download(current_user, found):
        abort(404)
    return found


def _status_context(found: ReportExport) -> dict[str, Any]:
    """What an export's status says: besides the export, whether its file stopped at its format's limit."""
    capped = found.status == ExportStatus.done and (found.total_rows or 0) > found.progress_rows
    return {
        "export": found,
        "report": get_report(found.report_key),
        "capped_note": exports.xlsx_cap_note(found.progress_rows, found.total_rows or 0) if capped else None,
    }


@bp.route("/exports/<int:export_id>")
@require_permission(perms.REPORTS_VIEW)
def export_status(export_id: int) -> Any:
    """An export's progress, and its download once it is ready."""
    return render_template("reports/export.html", **_status_context(_export_or_404(export_id)))


@bp.route("/exports/<int:export_id>/progress")
@require_permission(perms.REPORTS_VIEW)
def export_progress(export_id: int) -> Any:
    body = render_template("reports/_export_progress.html", **_status_context(_export_or_404(export_id)))
    return body, 200, {"Vary": "HX-Request"}


_MIMETYPES = {
    "csv": "text/csv",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
}


@bp.route("/exports/<int:export_id>/download")
@require_permission(perms.REPORTS_VIEW)
def download(export_id: int) -> Any:
    """The export's file, for the person who asked for it (or an admin); never a public address."""
    found = _export_or_404(export_id)
    path = storage().path(found.storage_key, tenant_id=found.tenant_id) if found.storage_key else None
    if path is None:
        abort(404)
    name = f"{found.report_key}-{found.created_at:%Y%m%d-%H%M}.{found.format}"
    response = send_file(path, mimetype=_MIMETYPES[found.format], as_attachment=True, download_name=name)
    response.headers["Cache-Control"] = "private, no-store"
    return response
