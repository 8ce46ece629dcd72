"""Add, change and retire HR sources; their secrets are sealed at rest."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select

from app import audit, sealing
from app.errors import ValidationError, ValidationErrors
from app.extensions import db
from app.syncs import readers
from app.syncs.models import Schedule, SyncSource
from app.syncs.services.fields import DEFAULT_TERMINATED, FIELDS, default_mapping
from app.tenancy.models import utcnow

_SNAPSHOT = (
    "name",
    "kind",
    "config",
    "mapping",
    "terminated_values",
    "full_feed",
    "schedule",
    "schedule_hour",
    "max_deactivate_percent",
    "max_change_percent",
    "enabled",
)


def kinds() -> dict[str, readers.ReaderKind]:
    """Every kind of source the readers know (kind -> its label, settings and secret label)."""
    return dict(readers.KINDS)


def list_sources() -> list[SyncSource]:
    return list(
        db.session.scalars(
            select(SyncSource).where(SyncSource.deactivated_at.is_(None)).order_by(SyncSource.name)
        )
    )


def get_source(source_id: int) -> SyncSource | None:
    source = db.session.get(SyncSource, source_id)
    return source if source is not None and source.deactivated_at is None else None


def _snapshot(source: SyncSource) -> dict[str, Any]:
    return {name: getattr(source, name) for name in _SNAPSHOT}


def _clean(source: SyncSource | None, values: dict[str, Any], secret: str | None = None) -> dict[str, Any]:
    """Check every value a person typed; raise ValidationErrors naming each bad field."""
    errors: list[ValidationError] = []
    cleaned: dict[str, Any] = {}
    name = (values.get("name") or "").strip()
    if not name:
        errors.append(ValidationError(_("Give the source a name."), field="name"))
    elif len(name) > 200:
        errors.append(ValidationError(_("Keep the name under 200 characters."), field="name"))
    else:
        clash = db.session.scalars(select(SyncSource.id).where(SyncSource.name == name)).first()
        if clash is not None and (source is None or clash != source.id):
            errors.append(
                ValidationError(_("There is already a source called “%(name)s”.", name=name), field="name")
            )
    cleaned["name"] = name
    kind = values.get("kind") or ""
    reader = readers.KINDS.get(kind)
    if reader is None:
        errors.append(ValidationError(_("Choose the kind of source from the list."), field="kind"))
    cleaned["kind"] = kind
    given = {str(k): str(v).strip() for k, v in (values.get("config") or {}).items()}
    # Only the settings this kind asks for are kept: another kind's leftovers would confuse the next edit.
    config = {f.name: given[f.name] for f in (reader.fields if reader else []) if given.get(f.name)}
    fields = reader.fields if reader else []
    for spec in fields:
        value = config.get(spec.name)
        problem = None
        if spec.required and not value:
            problem = _("Fill in %(field)s.", field=spec.label)
        elif spec.choices and value and value not in {choice for choice, _label in spec.choices}:
            problem = _("Choose one of the options for %(field)s.", field=spec.label)
        if problem:
            errors.append(ValidationError(problem, field="config_" + spec.name))
    settings = {f.name: config.get(f.name) or f.default for f in fields}
    kept = source is not None and source.secret_sealed is not None and source.kind == kind
    if (
        reader is not None
        and reader.takes_secret
        and reader.secret_required(settings)
        and not (secret or kept)
    ):
        errors.append(ValidationError(_("Fill in %(field)s.", field=reader.secret_label), field="secret"))
    cleaned["config"] = config
    schedule = values.get("schedule") or Schedule.off.value
    if schedule not in Schedule.__members__:
        errors.append(ValidationError(_("Choose how often the source is read."), field="schedule"))
    cleaned["schedule"] = schedule
    for field, low, high, message in (
        ("schedule_hour", 0, 23, _("Choose an hour between 0 and 23.")),
        ("max_deactivate_percent", 0, 100, _("Enter a percentage between 0 and 100.")),
        ("max_change_percent", 0, 100, _("Enter a percentage between 0 and 100.")),
    ):
        try:
            number = int(str(values.get(field, "")).strip())
            if not low <= number <= high:
                raise ValueError
            cleaned[field] = number
        except ValueError:
            errors.append(ValidationError(message, field=field))
    mapping = values.get("mapping") or default_mapping()
    cleaned["mapping"] = {k: (mapping.get(k) or "").strip() for k in FIELDS} | {
        "attributes": dict(mapping.get("attributes") or {})
    }
    if not any(cleaned["mapping"].get(k) for k in ("employee_id", "email", "source_id")):
        errors.append(
            ValidationError(
                _("Map the source's person id, employee ID or email: people are matched by them."),
                field="map_employee_id",
            )
        )
    terminated = values.get("terminated_values")
    cleaned["terminated_values"] = (
        [t.strip() for t in terminated.split(",") if t.strip()]
        if isinstance(terminated, str)
        else DEFAULT_TERMINATED
    )
    cleaned["full_feed"] = bool(values.get("full_feed"))
    cleaned["enabled"] = bool(values.get("enabled", True))
    if errors:
        raise ValidationErrors(errors)
    return cleaned


def _set_secret(source: SyncSource, secret: str | None) -> bool:
    if not secret:
        return False
    source.secret_sealed = sealing.seal_text(secret, purpose=source.secret_purpose)
    return True


def source_secret(source: SyncSource) -> str | None:
    if source.secret_sealed is None:
        return None
    return sealing.unseal_text(source.secret_sealed, purpose=source.secret_purpose)


def create_source(values: dict[str, Any], secret: str | None = None) -> SyncSource:
    """Add an HR source; it is read only when someone previews it or its schedule comes round."""
    cleaned = _clean(None, values, secret)
    source = SyncSource(**cleaned)
    db.session.add(source)
    db.session.flush()
    _set_secret(source, secret)
    audit.record("sync.source_added", target=source, after=_snapshot(source))
    return source


def update_source(source: SyncSource, values: dict[str, Any], secret: str | None = None) -> SyncSource:
    """Change *source*; a blank *secret* keeps the one stored."""
    cleaned = _clean(source, values, secret)
    before = _snapshot(source)
    for name, value in cleaned.items():
        setattr(source, name, value)
    after = _snapshot(source)
    changed = [k for k in after if after[k] != before[k]]
    if changed:
        audit.record(
            "sync.source_changed",
            target=source,
            before={k: before[k] for k in changed},
            after={k: after[k] for k in changed},
        )
    if _set_secret(source, secret):
        audit.record("sync.source_secret_changed", target=source)
    return source


def remove_source(source: SyncSource) -> None:
    """Retire *source*: it is no longer read; its runs and what they changed are kept."""
    if source.deactivated_at is not None:
        return
    source.deactivated_at = utcnow()
    source.enabled = False
    audit.record("sync.source_removed", target=source)
