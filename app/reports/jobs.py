"""The reports queue's jobs: write an export to a file, and the scheduled deliveries of saved reports."""

from __future__ import annotations

import logging
import tempfile
from pathlib import Path

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from app.accounts.models import User
from app.compliance.status import portal_today, portal_zone
from app.extensions import db
from app.jobs import enqueue
from app.locales import person_locale
from app.mail import mail_person
from app.reports import exports, services
from app.reports.models import ExportStatus, ReportExport
from app.reports.registry import Filters, get_report
from app.storage import storage
from app.tenancy import context as tenancy_context
from app.tenancy.iteration import for_each_tenant
from app.tenancy.models import Tenant, utcnow

log = logging.getLogger("atrium.reports")

_EXTENSIONS = {"csv": "csv", "xlsx": "xlsx", "pdf": "pdf"}


def _store_progress(export_id: int, count: int) -> None:
    """Store *count* rows written in a short transaction of its own, so the export's page shows it now.

    Inline (no Redis) the job runs inside the request that asked for it, which then shows the result:
    nothing to report on the way.
    """
    if not current_app.config.get("REDIS_URL"):
        return
    try:
        with Session(db.engine) as side:
            side.execute(update(ReportExport).where(ReportExport.id == export_id).values(progress_rows=count))
            side.commit()
    except SQLAlchemyError:
        log.warning("reports.progress_not_stored", extra={"export_id": export_id, "rows": count})


def run_export(export_id: int) -> None:
    """Write export *export_id* to storage in its format, computed in its requester's reach; then mail a saved
    report's recipient the link to it."""
    export = db.session.get(ReportExport, export_id)
    if export is None or export.status not in (ExportStatus.queued, ExportStatus.running):
        return
    tenant = db.session.get(Tenant, tenancy_context.current_tenant_id())
    requester = db.session.get(User, export.requested_by_id)
    report = get_report(export.report_key)
    if tenant is None or requester is None or report is None:
        export.status, export.error = ExportStatus.failed, "the report or the person who asked is gone"
        return
    export.status = ExportStatus.running
    try:
        _write(export, tenant, requester)
    except Exception as exc:  # the page must say it failed rather than wait for ever
        log.exception("reports.export_failed", extra={"export_id": export_id})
        db.session.rollback()
        failed = db.session.get(ReportExport, export_id)
        if failed is not None:
            failed.status, failed.finished_at = ExportStatus.failed, utcnow()
            failed.error = str(exc) or type(exc).__name__


def _write(export: ReportExport, tenant: Tenant, requester: User) -> None:
    report = get_report(export.report_key)
    assert report is not None
    filters = Filters.from_json(export.filters)
    scope = services.scope_for(requester)
    zone = portal_zone(tenant)
    with force_locale(person_locale(requester.locale, tenant)):
        heading = exports.Heading(
            report=report,
            filters=services.describe_filters(report, filters),
            generated=exports.generated_at(utcnow(), zone),
            portal=tenant.display_name,
        )
        rows = report.rows(filters, scope, zone)

        def progress(count: int) -> None:
            _store_progress(export.id, count)

        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / f"export.{_EXTENSIONS[export.format]}"
            if export.format == "csv":
                count = written = exports.write_csv(path, heading, filters, scope, zone, progress)
            elif export.format == "xlsx":
                in_file = exports.write_xlsx(path, heading, rows, progress)
                count, written = in_file.total, in_file.rows
            else:
                data, count = exports.render_pdf(heading, rows, tenant, progress)
                written = count
                path.write_bytes(data)
            export.storage_key = storage().save_file(tenant.id, "reports", path, _EXTENSIONS[export.format])
    # Fewer rows written than the report had: the file stopped at its format's limit (the status says so).
    export.progress_rows, export.total_rows = written, count
    export.status, export.finished_at = ExportStatus.done, utcnow()
    services.record_export(report, export.format, filters, target=export, requester=requester)
    if export.saved_report_id is not None:
        _mail_link(requester, export, tenant)


def _mail_link(person: User, export: ReportExport, tenant: Tenant) -> None:
    """Tell *person* their scheduled report is ready: a link that asks them to sign in, never the file."""
    from app.reports.models import SavedReport
    from app.tenancy.services import portal_url

    saved = db.session.get(SavedReport, export.saved_report_id)
    name = saved.name if saved else export.report_key
    with force_locale(person_locale(person.locale, tenant)):
        subject = _("Your report %(name)s is ready", name=name)
        body = "\n\n".join(
            [
                _("Hello %(name)s,", name=person.full_name),
                _("The report %(name)s has been generated. Sign in to download it:", name=name),
                portal_url(tenant, f"/reports/exports/{export.id}"),
                tenant.display_name,
            ]
        )
    mail_person(person, subject, body)


def deliver_due_reports() -> int:
    """This tenant's saved reports due in the current period: one export (and email) per recipient."""
    return services.deliver_due_reports(portal_today())


def deliver_due_reports_everywhere() -> int:
    """Queue, for every active tenant, the delivery of its scheduled reports due now."""
    outcomes = for_each_tenant(
        lambda tenant: enqueue("app.reports.jobs:deliver_due_reports", queue="reports"),
        what="delivering scheduled reports",
    )
    return sum(1 for o in outcomes if o.ok)
