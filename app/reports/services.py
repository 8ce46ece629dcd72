"""Reports: whose rows a person sees, the filters they asked for, exports (audited) and saved definitions."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from app import audit, jobs
from app.accounts import org
from app.accounts import permissions as perms
from app.accounts.models import User, UserStatus
from app.errors import ValidationError, ValidationErrors
from app.extensions import db
from app.inputs import parse_id
from app.reports.models import ExportStatus, ReportExport, SavedReport
from app.reports.registry import Filters, Report, Scope, get_report

FORMATS = ("csv", "xlsx", "pdf")
SCHEDULES = ("none", "daily", "weekly", "monthly")
NAME_MAX = 200
RECIPIENTS_MAX = 50

FILTER_LABELS: dict[str, Any] = {
    "date_from": _l("From"),
    "date_to": _l("To"),
    "unit": _l("Location or unit (and below)"),
    "job_title": _l("Job title"),
    "group": _l("Group"),
    "course": _l("Course"),
    "path": _l("Learning path"),
    "certification": _l("Certification"),
    "policy": _l("Policy"),
    "quiz": _l("Quiz"),
    "status": _l("Status"),
}

# The objects an id filter names: model and the attribute that is its name.
_ID_FILTERS: dict[str, tuple[str, str]] = {
    "unit": ("app.accounts.models:OrgUnit", "name"),
    "group": ("app.accounts.models:Group", "name"),
    "course": ("app.learning.models:Course", "title"),
    "path": ("app.learning.models:LearningPath", "title"),
    "certification": ("app.certifications.models:Certification", "title"),
    "policy": ("app.policies.models:Policy", "title"),
    "quiz": ("app.assessments.models:Quiz", "title"),
}


def _model(name: str) -> Any:
    from werkzeug.utils import import_string

    return import_string(_ID_FILTERS[name][0])


# ---------------------------------------------------------------- scope


def sees_everyone(user: User) -> bool:
    """Tenant admins and auditors see every person's rows; anyone else only the people they reach."""
    return user.can(perms.REPORTS_VIEW) and (user.can(perms.AUDIT_VIEW) or user.can(perms.USERS_MANAGE))


def scope_for(user: User) -> Scope:
    """The people whose rows *user* may see in a report, as their ids, read now (None: everyone)."""
    if sees_everyone(user):
        return Scope(None)
    return Scope(tuple(db.session.scalars(org.reach_select(user))))


# ---------------------------------------------------------------- filters


def parse_filters(report: Report, raw: Mapping[str, Any]) -> Filters:
    """The filters typed into *report*'s form, checked; every bad value is refused with its field."""
    errors: list[ValidationError] = []
    values: dict[str, Any] = {}
    for name in report.filter_names:
        text = str(raw.get(name, "") or "").strip()
        if name in ("date_from", "date_to"):
            if text:
                try:
                    values[name] = date.fromisoformat(text)
                except ValueError:
                    errors.append(ValidationError(_("Enter a date as YYYY-MM-DD."), field=name))
        elif name == "job_title":
            if len(text) > 200:
                errors.append(ValidationError(_("Keep the job title under 200 characters."), field=name))
            values[name] = text
        elif name == "status":
            if text and text not in {code for code, _label in report.statuses}:
                errors.append(ValidationError(_("Choose one of the statuses listed."), field=name))
            values[name] = text
        elif text:
            object_id = parse_id(text)
            if object_id is None or db.session.get(_model(name), object_id) is None:
                errors.append(ValidationError(_("Choose one of the options listed."), field=name))
            else:
                values[name] = object_id
    for name in report.required_filters:
        if values.get(name) is None and not any(e.field == name for e in errors):
            errors.append(ValidationError(_("Choose one to see this report."), field=name))
    if values.get("date_from") and values.get("date_to") and values["date_from"] > values["date_to"]:
        errors.append(ValidationError(_("The end date is before the start date."), field="date_to"))
    if errors:
        raise ValidationErrors(errors)
    return Filters(**values)


def filter_choices(report: Report) -> dict[str, list[tuple[str, str]]]:
    """The options of each select filter of *report*, one statement per filter."""
    choices: dict[str, list[tuple[str, str]]] = {}
    for name in report.filter_names:
        if name in _ID_FILTERS:
            model = _model(name)
            attribute = getattr(model, _ID_FILTERS[name][1])
            rows = db.session.execute(select(model.id, attribute).order_by(attribute, model.id))
            choices[name] = [(str(object_id), text) for object_id, text in rows]
        elif name == "status":
            choices[name] = [(code, str(text)) for code, text in report.statuses]
    return choices


def describe_filters(report: Report, filters: Filters) -> list[tuple[str, str]]:
    """The filters used, in words (label, value), for the top of an export; "none" when there are none."""
    out: list[tuple[str, str]] = []
    chosen = filters.as_json()
    for name in report.filter_names:
        if name not in chosen:
            continue
        value: Any = chosen[name]
        if name in _ID_FILTERS:
            found = db.session.get(_model(name), value)
            value = getattr(found, _ID_FILTERS[name][1]) if found is not None else value
        elif name == "status":
            value = dict(report.statuses).get(value, value)
        out.append((str(FILTER_LABELS[name]), str(value)))
    return out


# ---------------------------------------------------------------- exports


def record_export(report: Report, fmt: str, filters: Filters, *, requester: User, target: Any = None) -> None:
    """Audit that *report* was exported as *fmt* with *filters*, for *requester*."""
    audit.record(
        "report.exported",
        target=target,
        after={
            "report": report.key,
            "title": str(report.title),
            "format": fmt,
            "filters": filters.as_json(),
            "user_id": requester.id,
            "user": requester.email,
        },
    )


def request_export(
    user: User, report: Report, fmt: str, filters: Filters, *, saved: SavedReport | None = None
) -> ReportExport:
    """Queue *report* to be written as *fmt* for *user* on the reports queue; its page shows the progress."""
    if fmt not in FORMATS:
        raise ValidationError(_("Choose CSV, XLSX or PDF."), field="format")
    export = ReportExport(
        requested_by_id=user.id,
        report_key=report.key,
        format=fmt,
        filters=filters.as_json(),
        status=ExportStatus.queued,
        saved_report_id=saved.id if saved is not None else None,
    )
    db.session.add(export)
    db.session.flush()
    jobs.enqueue(
        "app.reports.jobs:run_export", export.id, queue="reports", job_key=f"report-export:{export.id}"
    )
    return export


def may_download(user: User, export: ReportExport) -> bool:
    """Only the person who asked for an export (or an admin of people) may open it."""
    return export.requested_by_id == user.id or user.can(perms.USERS_MANAGE)


def recent_exports(user: User, limit: int = 10) -> list[ReportExport]:
    return list(
        db.session.scalars(
            select(ReportExport)
            .where(ReportExport.requested_by_id == user.id)
            .order_by(ReportExport.created_at.desc(), ReportExport.id.desc())
            .limit(limit)
        )
    )


# ---------------------------------------------------------------- saved definitions


def _recipients(raw: str) -> list[int]:
    """The people named by the emails in *raw* (commas, spaces or lines), each able to see reports."""
    emails = sorted({part.strip().casefold() for part in raw.replace(",", " ").split() if part.strip()})
    if len(emails) > RECIPIENTS_MAX:
        raise ValidationError(_("Send to at most %(n)d people.", n=RECIPIENTS_MAX), field="recipients")
    if not emails:
        return []
    people = list(
        db.session.scalars(
            select(User).where(func.lower(User.email).in_(emails), User.status == UserStatus.active.value)
        )
    )
    found = {(p.email or "").casefold(): p for p in people}
    missing = [email for email in emails if email not in found]
    if missing:
        raise ValidationError(
            _("Nobody active in this portal has the email %(emails)s.", emails=", ".join(missing)),
            field="recipients",
        )
    unable = [p.email for p in people if not p.can(perms.REPORTS_VIEW)]
    if unable:
        raise ValidationError(
            _(
                "%(emails)s may not see reports, so cannot receive one.",
                emails=", ".join(str(e) for e in unable),
            ),
            field="recipients",
        )
    return sorted(p.id for p in people)


def save_report(
    owner: User,
    report: Report,
    filters: Filters,
    *,
    name: str,
    schedule: str = "none",
    fmt: str = "csv",
    recipients: str = "",
) -> SavedReport:
    """Keep *report* with *filters* under *name*, delivered on *schedule* to the people *recipients* names."""
    name = (name or "").strip()
    errors: list[ValidationError] = []
    if not name:
        errors.append(ValidationError(_("Give the report a name."), field="name"))
    elif len(name) > NAME_MAX:
        errors.append(ValidationError(_("Keep the name under %(n)d characters.", n=NAME_MAX), field="name"))
    if schedule not in SCHEDULES:
        errors.append(ValidationError(_("Choose how often to send it."), field="schedule"))
    if fmt not in FORMATS:
        errors.append(ValidationError(_("Choose CSV, XLSX or PDF."), field="format"))
    people: list[int] = []
    try:
        people = _recipients(recipients)
    except ValidationError as exc:
        errors.append(exc)
    if schedule != "none" and not people and not any(e.field == "recipients" for e in errors):
        errors.append(ValidationError(_("Name at least one person to send it to."), field="recipients"))
    if errors:
        raise ValidationErrors(errors)
    saved = SavedReport(
        name=name,
        report_key=report.key,
        filters=filters.as_json(),
        owner_id=owner.id,
        schedule=schedule,
        format=fmt,
        recipients=people,
    )
    db.session.add(saved)
    db.session.flush()
    audit.record(
        "report.saved",
        target=saved,
        after={"name": name, "report": report.key, "schedule": schedule, "recipients": len(people)},
    )
    return saved


def delete_saved_report(saved: SavedReport) -> None:
    """Forget *saved* (its past exports stay, unlinked)."""
    for export in db.session.scalars(select(ReportExport).where(ReportExport.saved_report_id == saved.id)):
        export.saved_report_id = None
    audit.record("report.deleted", target=saved, before={"name": saved.name, "report": saved.report_key})
    db.session.delete(saved)


def saved_reports_of(user: User) -> list[SavedReport]:
    """The saved reports *user* owns (every one for someone who sees everyone)."""
    statement = select(SavedReport).order_by(SavedReport.name, SavedReport.id)
    if not sees_everyone(user):
        statement = statement.where(SavedReport.owner_id == user.id)
    return list(db.session.scalars(statement))


def may_use_saved(user: User, saved: SavedReport) -> bool:
    return saved.owner_id == user.id or sees_everyone(user)


# ---------------------------------------------------------------- scheduled delivery


def period_of(schedule: str, today: date) -> str | None:
    """The delivery period *today* falls in for *schedule* ("2026-12-05", "2026-W49", "2026-12")."""
    if schedule == "daily":
        return today.isoformat()
    if schedule == "weekly":
        year, week, _day = today.isocalendar()
        return f"{year}-W{week:02d}"
    if schedule == "monthly":
        return f"{today.year}-{today.month:02d}"
    return None


def deliver_due_reports(today: date) -> int:
    """Queue this tenant's saved reports not yet delivered in their current period: one export per recipient.

    Each recipient's export is computed in their own reach and only they (or an admin) may open it;
    the period is recorded in the same transaction, so a second run in the period sends nothing.
    """
    queued = 0
    due = db.session.scalars(
        select(SavedReport).where(SavedReport.schedule != "none").order_by(SavedReport.id)
    )
    for saved in due:
        period = period_of(saved.schedule, today)
        report = get_report(saved.report_key)
        if period is None or saved.last_period == period or report is None:
            continue
        saved.last_period = period
        filters = Filters.from_json(saved.filters)
        recipients = db.session.scalars(
            select(User).where(User.id.in_(saved.recipients or []), User.status == UserStatus.active.value)
        )
        for person in recipients:
            if not person.can(perms.REPORTS_VIEW):
                continue
            request_export(person, report, saved.format, filters, saved=saved)
            queued += 1
    return queued
