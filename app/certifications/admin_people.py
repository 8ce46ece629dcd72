"""A certification's people: who holds it and until when, awarding by hand with evidence, revoking and
reinstating, importing past awards from CSV."""

from __future__ import annotations

import io
from datetime import UTC, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from flask import abort, flash, g, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, or_, select

from app.accounts.access import get_or_404
from app.accounts.models import User, UserStatus
from app.certifications.admin_views import bp, require_manager, require_reader
from app.certifications.forms import AwardForm, ImportForm, RevokeForm
from app.certifications.models import Certification, CertificationRecord, RecordState
from app.certifications.services import imports, lifecycle
from app.errors import ValidationError
from app.extensions import db
from app.forms import apply_error, as_choices, form_status
from app.inputs import like_pattern, page_number, past_last_page, search_words
from app.storage import UploadRefused, check_upload, storage, stored_filename
from app.timezones import person_time_zone

PAGE_SIZE = 50


def _record(cert: Certification, record_id: int) -> CertificationRecord:
    record = get_or_404(CertificationRecord, record_id)
    if record.certification_id != cert.id:
        abort(404)
    return record


@bp.route("/<int:certification_id>/people")
@require_reader
def people(certification_id: int) -> Any:
    cert = get_or_404(Certification, certification_id)
    state = request.args.get("state", "")
    query = (request.args.get("q") or "").strip()
    page = request.args.get("page", 1, type=page_number)
    statement = (
        select(CertificationRecord, User)
        .join(User, User.id == CertificationRecord.user_id)
        .where(CertificationRecord.certification_id == cert.id)
    )
    if state in {s.value for s in RecordState}:
        statement = statement.where(CertificationRecord.state == state)
    for word in search_words(query):  # every word, in any order, in the name or the email
        like = like_pattern(word)
        statement = statement.where(
            or_(
                func.lower(User.full_name).like(like, escape="\\"),
                func.lower(func.coalesce(User.email, "")).like(like, escape="\\"),
            )
        )
    total = db.session.scalar(select(func.count()).select_from(statement.subquery())) or 0
    if (back := past_last_page(PAGE_SIZE, page=(page, total))) is not None:
        return back
    rows = db.session.execute(
        statement.order_by(
            CertificationRecord.expires_at.is_(None), CertificationRecord.expires_at, User.full_name
        )
        .limit(PAGE_SIZE)
        .offset((page - 1) * PAGE_SIZE)
    ).all()
    return render_template(
        "certifications/admin/people.html",
        cert=cert,
        rows=rows,
        state=state,
        q=query,
        page=page,
        total=total,
        per_page=PAGE_SIZE,
        states=[s.value for s in RecordState],
    )


@bp.route("/<int:certification_id>/people/<int:record_id>")
@require_reader
def record(certification_id: int, record_id: int) -> Any:
    cert = get_or_404(Certification, certification_id)
    rec = _record(cert, record_id)
    person = db.session.get(User, rec.user_id)
    actors = {
        u.id: u
        for u in db.session.scalars(
            select(User).where(User.id.in_({t.by_id for t in rec.history if t.by_id}))
        )
    }
    return render_template(
        "certifications/admin/record.html",
        cert=cert,
        record=rec,
        person=person,
        actors=actors,
        revoke_form=RevokeForm(),
    )


def _admins_zone() -> str:
    """Where the admin is: a date they type means the start of that day there."""
    return person_time_zone(getattr(current_user, "time_zone", None), g.tenant.time_zone)


def _day(value: Any) -> datetime | None:
    if value is None:
        return None
    return datetime.combine(value, time(0), ZoneInfo(_admins_zone())).astimezone(UTC)


@bp.route("/<int:certification_id>/award", methods=["GET", "POST"])
@require_manager
def award(certification_id: int) -> Any:
    cert = get_or_404(Certification, certification_id)
    form = AwardForm()
    form.person.choices = as_choices(
        [("", _("Choose a person"))]
        + [
            (str(u.id), f"{u.full_name} <{u.contact}>")
            for u in db.session.scalars(
                select(User).where(User.status == UserStatus.active.value).order_by(User.full_name)
            )
        ]
    )
    if form.validate_on_submit():
        person = db.session.get(User, int(form.person.data)) if (form.person.data or "").isdigit() else None
        upload = form.evidence.data
        try:
            if person is None:
                raise ValidationError(_("Choose the person to award it to."), field="person")
            evidence = None
            if upload is not None and getattr(upload, "filename", None):
                data = upload.read()
                try:
                    mime, extension = check_upload("document", data, upload.filename)
                except UploadRefused as refused:
                    raise ValidationError(str(refused), field="evidence") from None
                evidence = {
                    "file_key": storage().save(cert.tenant_id, "certification-evidence", data, extension),
                    "filename": stored_filename(upload.filename, mime, "evidence"),
                    "mime": mime,
                }
            rec, _new = lifecycle.ensure_record(cert, person)
            lifecycle.award_manually(
                rec,
                by=current_user,
                note=form.note.data or "",
                awarded_at=_day(form.awarded_on.data),
                expires_at=_day(form.expires_on.data),
                evidence=evidence,
            )
        except ValidationError as exc:
            db.session.rollback()
            apply_error(form, exc)
        else:
            flash(_("%(name)s was awarded “%(title)s”.", name=person.full_name, title=cert.title), "success")
            return redirect(url_for("certification_admin.record", certification_id=cert.id, record_id=rec.id))
    return render_template("certifications/admin/award.html", cert=cert, form=form), form_status()


@bp.route("/<int:certification_id>/people/<int:record_id>/evidence")
@require_reader
def evidence(certification_id: int, record_id: int) -> Any:
    cert = get_or_404(Certification, certification_id)
    rec = _record(cert, record_id)
    key = (rec.evidence or {}).get("file_key")
    data = storage().read(key, tenant_id=cert.tenant_id) if key else None
    if data is None:
        abort(404)
    return send_file(
        io.BytesIO(data),
        mimetype=rec.evidence.get("mime") or "application/octet-stream",
        as_attachment=True,
        download_name=rec.evidence.get("filename") or "evidence",
    )


@bp.route("/<int:certification_id>/people/<int:record_id>/revoke", methods=["POST"])
@require_manager
def revoke(certification_id: int, record_id: int) -> Any:
    cert = get_or_404(Certification, certification_id)
    rec = _record(cert, record_id)
    form = RevokeForm()
    form.validate_on_submit()
    try:
        lifecycle.revoke(rec, form.reason.data or "", by=current_user)
    except ValidationError as exc:
        db.session.rollback()
        flash(exc.message, "error")
    else:
        flash(_("The award was revoked."), "success")
    return redirect(url_for("certification_admin.record", certification_id=cert.id, record_id=rec.id))


@bp.route("/<int:certification_id>/people/<int:record_id>/reinstate", methods=["POST"])
@require_manager
def reinstate(certification_id: int, record_id: int) -> Any:
    cert = get_or_404(Certification, certification_id)
    rec = _record(cert, record_id)
    lifecycle.reinstate(rec, by=current_user)
    flash(_("The award was reinstated."), "success")
    return redirect(url_for("certification_admin.record", certification_id=cert.id, record_id=rec.id))


@bp.route("/<int:certification_id>/import", methods=["GET", "POST"])
@require_manager
def import_awards(certification_id: int) -> Any:
    cert = get_or_404(Certification, certification_id)
    form = ImportForm()
    problems: list[imports.RowError] = []
    if form.validate_on_submit():
        upload = form.file.data
        if upload is None or not getattr(upload, "filename", None):
            form.file.errors = [_("Choose the CSV file to import.")]
        else:
            try:
                count = imports.import_awards(
                    cert, upload.read(), by=current_user, filename=upload.filename, zone=_admins_zone()
                )
            except imports.ImportRefused as refused:
                db.session.rollback()
                problems = refused.errors
            else:
                flash(_("%(n)d past awards were imported.", n=count), "success")
                return redirect(url_for("certification_admin.people", certification_id=cert.id))
    status = 422 if problems else form_status()
    return render_template(
        "certifications/admin/import.html", cert=cert, form=form, problems=problems
    ), status
