"""HR sync pages under Admin → Integrations: sources, a run's progress and diff, and its actions."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select

from app.accounts import permissions as perms
from app.accounts.access import require_permission
from app.csvcells import csv_safe
from app.errors import ValidationError, ValidationErrors
from app.extensions import db
from app.forms import apply_error, as_choices, form_status
from app.syncs import labels, readers
from app.syncs.forms import PreviewForm, source_form_class
from app.syncs.models import Action, SyncChange, SyncRun, SyncSource
from app.syncs.services import runs, sources
from app.syncs.services.fields import DEFAULT_TERMINATED, FIELDS, default_mapping

bp = Blueprint("syncs", __name__)


@bp.app_context_processor
def _sync_words() -> dict[str, Any]:
    return {
        "sync_run_status": labels.run_status,
        "sync_actions": labels.ACTIONS,
        "sync_fields": labels.CHANGE_FIELDS,
    }


SHOWN_PER_ACTION = 100
ACTION_ORDER = ["create", "update", "move", "reactivate", "deactivate", "conflict", "rejected"]


@dataclass(frozen=True)
class ConfigSetting:
    """A setting some kind of source asks for (the readers describe them), shown once on the form."""

    name: str
    label: Any
    hint: Any
    choices: tuple[tuple[str, Any], ...]
    kinds: tuple[Any, ...]
    keys: tuple[str, ...] = ()


def _shared_label(first: Any, second: Any) -> Any:
    """One box for two kinds' settings of one name shows both labels ("Integration user / User name")."""
    return first if str(first) == str(second) else f"{first} / {second}"


def _config_fields() -> list[ConfigSetting]:
    """Every non-secret setting the readers ask for, once each, with the kinds of source that use it."""
    seen: dict[str, ConfigSetting] = {}
    for key, kind in sources.kinds().items():
        for spec in kind.fields:
            known = seen.get(spec.name)
            seen[spec.name] = ConfigSetting(
                spec.name,
                _shared_label(known.label, spec.label) if known else spec.label,
                known.hint if known else spec.hint,
                known.choices if known else tuple(spec.choices),
                (*known.kinds, kind.label) if known else (kind.label,),
                (*known.keys, key) if known else (key,),
            )
    return list(seen.values())


def _kind_choices() -> list[tuple[str, str]]:
    return [(key, str(kind.label)) for key, kind in sources.kinds().items()]


def _source_form(source: SyncSource | None) -> Any:
    form_class = source_form_class(_config_fields())
    form = form_class()
    if request.method == "GET":
        _fill(form, source)
    form.kind.choices = as_choices(_kind_choices())
    return form


def _fill(form: Any, source: SyncSource | None) -> None:
    """Put *source*'s saved settings (or a new source's defaults) in *form*."""
    form.kind.choices = as_choices(_kind_choices())
    mapping = (source.mapping if source else None) or default_mapping()
    form.name.data = source.name if source else ""
    form.kind.data = source.kind if source else next(iter(sources.kinds()), "")
    form.schedule.data = source.schedule if source else "off"
    form.schedule_hour.data = str(source.schedule_hour if source else 2)
    form.max_deactivate_percent.data = str(source.max_deactivate_percent if source else 5)
    form.max_change_percent.data = str(source.max_change_percent if source else 20)
    form.terminated_values.data = ", ".join(source.terminated_values if source else DEFAULT_TERMINATED)
    form.full_feed.data = source.full_feed if source else False
    form.enabled.data = source.enabled if source else True
    for name in FIELDS:
        getattr(form, f"map_{name}").data = mapping.get(name, "")
    form.map_attributes.data = "\n".join(
        f"{attr} = {column}" for attr, column in (mapping.get("attributes") or {}).items()
    )
    for setting in _config_fields():
        getattr(form, f"config_{setting.name}").data = (
            (source.config or {}).get(setting.name, "") if source else ""
        )


def _values(form: Any) -> dict[str, Any]:
    attributes: dict[str, str] = {}
    bad_lines = []
    for line in (form.map_attributes.data or "").splitlines():
        if not line.strip():
            continue
        attr, sep, column = line.partition("=")
        if not sep or not attr.strip() or not column.strip():
            bad_lines.append(line.strip())
            continue
        attributes[attr.strip()] = column.strip()
    if bad_lines:
        raise ValidationError(
            _("Write each custom attribute as “attribute = column”: %(line)s", line=bad_lines[0]),
            field="map_attributes",
        )
    return {
        "name": form.name.data,
        "kind": form.kind.data,
        "schedule": form.schedule.data,
        "schedule_hour": form.schedule_hour.data,
        "max_deactivate_percent": form.max_deactivate_percent.data,
        "max_change_percent": form.max_change_percent.data,
        "terminated_values": form.terminated_values.data or "",
        "full_feed": form.full_feed.data,
        "enabled": form.enabled.data,
        "mapping": {name: getattr(form, f"map_{name}").data or "" for name in FIELDS}
        | {"attributes": attributes},
        "config": {
            setting.name: getattr(form, f"config_{setting.name}").data or ""
            for setting in _config_fields()
            if (getattr(form, f"config_{setting.name}").data or "").strip()
        },
    }


def _show_errors(form: Any, exc: ValidationError) -> None:
    for error in exc.errors if isinstance(exc, ValidationErrors) else [exc]:
        apply_error(form, error)


def _source_page(form: Any, source: SyncSource | None, sample: list[str] | None = None) -> Any:
    """The source's page; *sample*: the source's own field names, offered in the mapping table."""
    return render_template(
        "syncs/source.html",
        form=form,
        source=source,
        fields=FIELDS,
        config_fields=_config_fields(),
        secret_names=[
            f"{kind.label}: {kind.secret_label}" for kind in sources.kinds().values() if kind.takes_secret
        ],
        kinds=sources.kinds(),
        runs=runs.latest_runs(source) if source else [],
        preview_form=PreviewForm(formdata=None),
        sample=sample,
    ), form_status(ok=sample is not None)


@bp.route("/admin/integrations/syncs/new", methods=["GET", "POST"])
@require_permission(perms.INTEGRATIONS_MANAGE)
def new_source() -> Any:
    form = _source_form(None)
    if form.validate_on_submit():
        try:
            source = sources.create_source(_values(form), secret=form.secret.data or None)
        except ValidationError as exc:
            _show_errors(form, exc)
        else:
            flash(
                _(
                    "The source “%(name)s” was added. Preview it to see what it would change.",
                    name=source.name,
                ),
                "success",
            )
            return redirect(url_for("syncs.source", source_id=source.id))
    return _source_page(form, None)


def _source_or_404(source_id: int) -> SyncSource:
    source = sources.get_source(source_id)
    if source is None:
        abort(404)
    return source


@bp.route("/admin/integrations/syncs/<int:source_id>", methods=["GET", "POST"])
@require_permission(perms.INTEGRATIONS_MANAGE)
def source(source_id: int) -> Any:
    found = _source_or_404(source_id)
    form = _source_form(found)
    if form.validate_on_submit():
        try:
            sources.update_source(found, _values(form), secret=form.secret.data or None)
        except ValidationError as exc:
            db.session.rollback()
            found = _source_or_404(source_id)
            _show_errors(form, exc)
        else:
            flash(_("The source “%(name)s” was saved.", name=found.name), "success")
            return redirect(url_for("syncs.source", source_id=found.id))
    return _source_page(form, found)


@bp.route("/admin/integrations/syncs/<int:source_id>/fields", methods=["POST"])
@require_permission(perms.INTEGRATIONS_MANAGE)
def sample_fields(source_id: int) -> Any:
    """Read the first rows of the source and offer its field names in the mapping table."""
    found = _source_or_404(source_id)
    if not PreviewForm().validate_on_submit():
        abort(400)
    upload = request.files.get("upload")
    data = upload.read() if upload else b""
    try:
        names = readers.sample_fields(
            found.kind, dict(found.config or {}), sources.source_secret(found), data or None
        )
    except readers.ReadError as exc:
        flash(_("The source's fields could not be read: %(reason)s", reason=exc.message), "error")
        return redirect(url_for("syncs.source", source_id=found.id))
    if not names:
        flash(_("The source has no rows yet, so its fields are not known."), "error")
        return redirect(url_for("syncs.source", source_id=found.id))
    form = source_form_class(_config_fields())(formdata=None)
    _fill(form, found)
    return _source_page(form, found, sample=names)


@bp.route("/admin/integrations/syncs/<int:source_id>/remove", methods=["POST"])
@require_permission(perms.INTEGRATIONS_MANAGE)
def remove_source(source_id: int) -> Any:
    found = _source_or_404(source_id)
    if not PreviewForm().validate_on_submit():
        abort(400)
    sources.remove_source(found)
    flash(_("The source “%(name)s” was removed; its past runs are kept.", name=found.name), "success")
    return redirect(url_for("integrations.index"))


@bp.route("/admin/integrations/syncs/<int:source_id>/preview", methods=["POST"])
@require_permission(perms.INTEGRATIONS_MANAGE)
def preview(source_id: int) -> Any:
    found = _source_or_404(source_id)
    form = PreviewForm()
    if not form.validate_on_submit():
        abort(400)
    upload = form.upload.data.read() if form.upload.data else None
    try:
        run = runs.start_preview(found, upload=upload or None, by=current_user._get_current_object())
    except ValidationError as exc:
        flash(exc.message, "error")
        return redirect(url_for("syncs.source", source_id=found.id))
    return redirect(url_for("syncs.run", run_id=run.id))


def _run_or_404(run_id: int) -> SyncRun:
    run = runs.get_run(run_id)
    if run is None:
        abort(404)
    return run


def _grouped_changes(run: SyncRun) -> list[tuple[str, int, list[SyncChange]]]:
    counts = dict(
        db.session.execute(
            select(SyncChange.action, func.count(SyncChange.id))
            .where(SyncChange.run_id == run.id)
            .group_by(SyncChange.action)
        ).all()
    )
    groups = []
    for action in ACTION_ORDER:
        if counts.get(action):
            shown = list(
                db.session.scalars(
                    select(SyncChange)
                    .where(SyncChange.run_id == run.id, SyncChange.action == action)
                    .order_by(SyncChange.seq)
                    .limit(SHOWN_PER_ACTION)
                )
            )
            groups.append((action, counts[action], shown))
    return groups


def _progress(run: SyncRun) -> str:
    return render_template("syncs/_progress.html", run=run, can_roll_back=runs.can_roll_back(run))


@bp.route("/admin/integrations/syncs/runs/<int:run_id>")
@require_permission(perms.INTEGRATIONS_MANAGE)
def run(run_id: int) -> Any:
    found = _run_or_404(run_id)
    return render_template(
        "syncs/run.html",
        run=found,
        can_roll_back=runs.can_roll_back(found),
        groups=_grouped_changes(found),
        shown_per_action=SHOWN_PER_ACTION,
        reasons=runs.safety_stops(found) if found.status == "awaiting_approval" else [],
    )


@bp.route("/admin/integrations/syncs/runs/<int:run_id>/progress")
@require_permission(perms.INTEGRATIONS_MANAGE)
def progress(run_id: int) -> Any:
    found = _run_or_404(run_id)
    headers = {"Vary": "HX-Request"}
    if request.headers.get("HX-Request") and found.status not in runs.LIVE:
        # The run has finished: the whole page reloads, so its list of changes shows as well.
        headers["HX-Refresh"] = "true"
    return _progress(found), 200, headers


def _run_action(run_id: int, action: Any, done: str) -> Any:
    found = _run_or_404(run_id)
    if not PreviewForm().validate_on_submit():
        abort(400)
    try:
        action(found)
    except ValidationError as exc:
        db.session.rollback()
        flash(exc.message, "error")
    else:
        flash(done, "success")
    return redirect(url_for("syncs.run", run_id=run_id))


@bp.route("/admin/integrations/syncs/runs/<int:run_id>/apply", methods=["POST"])
@require_permission(perms.INTEGRATIONS_MANAGE)
def apply(run_id: int) -> Any:
    me = current_user._get_current_object()
    return _run_action(run_id, lambda r: runs.start_apply(r, by=me), _("Applying the changes."))


@bp.route("/admin/integrations/syncs/runs/<int:run_id>/cancel", methods=["POST"])
@require_permission(perms.INTEGRATIONS_MANAGE)
def cancel(run_id: int) -> Any:
    return _run_action(run_id, runs.cancel_run, _("The run is cancelled; what it already applied is kept."))


@bp.route("/admin/integrations/syncs/runs/<int:run_id>/roll-back", methods=["POST"])
@require_permission(perms.INTEGRATIONS_MANAGE)
def roll_back(run_id: int) -> Any:
    me = current_user._get_current_object()
    return _run_action(run_id, lambda r: runs.roll_back(r, by=me), _("The run was rolled back."))


@bp.route("/admin/integrations/syncs/runs/<int:run_id>/errors.csv")
@require_permission(perms.INTEGRATIONS_MANAGE)
def errors_csv(run_id: int) -> Any:
    found = _run_or_404(run_id)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([_("Row"), _("Person"), _("Source key"), _("Outcome"), _("Reason")])
    for change in runs.error_rows(found):
        outcome = (
            str(labels.ACTIONS[change.action])
            if change.action in (Action.rejected, Action.conflict)
            else _("not applied")
        )
        cells = [
            change.row_number or "",
            change.label,
            change.source_key,
            outcome,
            change.error or change.reason,
        ]
        writer.writerow([csv_safe(cell) for cell in cells])
    return Response(
        out.getvalue(),
        mimetype="text/csv",
        headers={"Content-Disposition": f"attachment; filename=sync-run-{found.id}-errors.csv"},
    )
