"""Apply a previewed run, exactly as previewed, in batches that each commit; roll an applied run back.

Each batch commits the people's changes together with the changes' applied markers, so a worker
killed mid-run leaves a run whose applied part is recorded: applying it again continues with what
is left. A change whose person changed in the portal since the preview is not applied: it gets an
error naming why (the rest of the run goes on), so nothing is overwritten that the admin did not see.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select

from app import audit
from app.accounts import services as accounts
from app.accounts.models import OrgUnit, OrgUnitKind, User, UserStatus
from app.errors import ValidationError
from app.extensions import db
from app.syncs.models import Action, RunStatus, SyncChange, SyncLink, SyncRun
from app.syncs.services.snapshot import OrgUnits
from app.tenancy.models import utcnow

BATCH = 200
PERSON_FIELDS = ("email", "full_name", "employee_id", "job_title", "hire_date")

# Tests replace this to stop a run after a committed batch, as a killed worker would.
after_batch: Callable[[SyncRun, int], None] = lambda run, batch: None  # noqa: E731


class Stale(Exception):
    """The person no longer looks as the preview saw them."""


class _Resolver:
    """Org units and managers, found (or created) while applying; *created* holds the new units."""

    def __init__(self) -> None:
        self.units = OrgUnits()
        self.created: list[dict[str, Any]] = []

    def unit(self, location: str | None, department: str | None) -> int | None:
        found = self.units.find(location, department)
        if found is not None:
            return found
        parent = self.units.location(location) if location else None
        if location and parent is None:
            created = accounts.create_org_unit(location, OrgUnitKind.location.value, None)
            db.session.flush()
            self.units.remember(created.id, created.name, None, created.kind)
            self.created.append({"id": created.id, "name": created.name})
            parent = created.id
        if not department:
            return parent
        existing = self.units.find(location, department)
        if existing is not None:
            return existing
        unit = accounts.create_org_unit(department, OrgUnitKind.department.value, parent)
        db.session.flush()
        self.units.remember(unit.id, unit.name, parent, unit.kind)
        self.created.append({"id": unit.id, "name": self.units.path(unit.id) or unit.name})
        return unit.id

    def manager(self, employee_id: str | None) -> int | None:
        if not employee_id:
            return None
        found = db.session.scalars(select(User.id).where(User.employee_id == employee_id)).first()
        if found is None:
            raise ValidationError(_("The manager %(id)s is not in the portal.", id=employee_id))
        return found


def _fields_from(after: dict[str, Any], user: User | None, resolver: _Resolver) -> dict[str, Any]:
    fields = {name: after[name] for name in PERSON_FIELDS if name in after}
    if "org_unit" in after:
        fields["org_unit_id"] = resolver.unit(after.get("_location"), after.get("_department"))
    if "manager" in after:
        fields["manager_id"] = resolver.manager(after.get("_manager_employee_id"))
    if "attributes" in after:
        merged = dict(user.attributes or {}) if user else {}
        for key, value in after["attributes"].items():
            if value is None:
                merged.pop(key, None)
            else:
                merged[key] = value
        fields["attributes"] = merged
    return fields


def _still_as_previewed(change: SyncChange, user: User) -> bool:
    before = change.before or {}
    current = accounts.user_snapshot(user)
    for name in PERSON_FIELDS:
        if name in before and (current[name] or None) != (before[name] or None):
            if name == "email" and (current[name] or "").lower() == (before[name] or "").lower():
                continue
            return False
    if "org_unit" in before and user.org_unit_id != before.get("_org_unit_id"):
        return False
    if "manager" in before and user.manager_id != before.get("_manager_id"):
        return False
    if "attributes" in before:
        attributes = user.attributes or {}
        if any((attributes.get(k) or None) != (v or None) for k, v in before["attributes"].items()):
            return False
    return "status" not in before or user.status == before["status"]


def _link(run: SyncRun, change: SyncChange, user_id: int) -> None:
    if not change.source_key:
        return
    link = db.session.scalars(
        select(SyncLink).where(SyncLink.source_id == run.source_id, SyncLink.source_key == change.source_key)
    ).first()
    if link is None:
        db.session.add(SyncLink(source_id=run.source_id, source_key=change.source_key, user_id=user_id))
    else:
        link.user_id = user_id


def _apply_change(run: SyncRun, change: SyncChange, resolver: _Resolver) -> None:
    """Make *change* in the portal through the accounts services (audited, events emitted)."""
    after = change.after or {}
    if change.action == Action.create:
        fields = _fields_from(after, None, resolver)
        created = accounts.create_user(
            fields.pop("email", None), fields.pop("full_name"), password=None, **fields
        )
        db.session.flush()
        change.user_id = created.id
        _link(run, change, created.id)
        return
    user = db.session.get(User, change.user_id) if change.user_id else None
    if user is None:
        raise ValidationError(_("The person is no longer in the portal."))
    if not _still_as_previewed(change, user):
        raise Stale(
            _("%(name)s was changed in the portal after the preview; preview again.", name=user.full_name)
        )
    if change.action == Action.deactivate:
        accounts.deactivate_user(user)
        return
    if change.action == Action.reactivate:
        accounts.reactivate_user(user)
    fields = _fields_from({k: v for k, v in after.items() if k != "status"}, user, resolver)
    if fields:
        accounts.update_user(user, **fields)
    _link(run, change, user.id)


def pending_changes(run: SyncRun, limit: int) -> list[SyncChange]:
    return list(
        db.session.scalars(
            select(SyncChange)
            .where(
                SyncChange.run_id == run.id,
                SyncChange.applied_at.is_(None),
                SyncChange.error.is_(None),
                SyncChange.action.in_(
                    [
                        a.value
                        for a in (
                            Action.create,
                            Action.update,
                            Action.move,
                            Action.deactivate,
                            Action.reactivate,
                        )
                    ]
                ),
            )
            .order_by(SyncChange.seq)
            .limit(limit)
        )
    )


def apply_changes(run: SyncRun) -> SyncRun:
    """Apply the run's changes not applied yet, a batch per commit; stop between batches when cancelled."""
    run_id = run.id
    if run.apply_started_at is None:
        run.apply_started_at = utcnow()
    run.status = RunStatus.applying.value
    run.error = None
    db.session.commit()
    resolver = _Resolver()
    batch_number = 0
    while True:
        run = db.session.get(SyncRun, run_id)  # type: ignore[assignment]
        if run.cancel_requested:
            run.status, run.finished_at = RunStatus.cancelled.value, utcnow()
            audit.record(
                "sync.run_cancelled", target=run.source, after={"run": run.id, "applied": run.rows_applied}
            )
            db.session.commit()
            return run
        changes = pending_changes(run, BATCH)
        if not changes:
            break
        for change in changes:
            try:
                _apply_change(run, change, resolver)
            except (ValidationError, Stale) as exc:
                change.error = exc.message if isinstance(exc, ValidationError) else str(exc)
                run.rows_errors += 1
                continue
            change.applied_at = utcnow()
            run.rows_applied += 1
        if resolver.created:
            # Committed with the units themselves: a run never forgets a unit it made.
            run.created_org_units = [*(run.created_org_units or []), *resolver.created]
            resolver.created = []
        db.session.commit()
        batch_number += 1
        after_batch(run, batch_number)
    run.status, run.finished_at = RunStatus.applied.value, utcnow()
    audit.record(
        "sync.run_applied",
        target=run.source,
        after={"run": run.id, "applied": run.rows_applied, "errors": run.rows_errors},
    )
    db.session.commit()
    return run


def _undo(change: SyncChange, resolver: _Resolver) -> None:
    user = db.session.get(User, change.user_id) if change.user_id else None
    if user is None:
        return
    before = change.before or {}
    if change.action == Action.create:
        accounts.deactivate_user(user)
        return
    if change.action == Action.deactivate:
        accounts.reactivate_user(user)
        return
    fields: dict[str, Any] = {name: before[name] for name in PERSON_FIELDS if name in before}
    if "org_unit" in before:
        unit_id = before.get("_org_unit_id")
        still_there = unit_id is not None and db.session.get(OrgUnit, unit_id) is not None
        fields["org_unit_id"] = unit_id if still_there else None
    if "manager" in before:
        fields["manager_id"] = before.get("_manager_id")
    if "attributes" in before:
        merged = dict(user.attributes or {})
        for key, value in before["attributes"].items():
            if value is None:
                merged.pop(key, None)
            else:
                merged[key] = value
        fields["attributes"] = merged
    if fields:
        accounts.update_user(user, **fields)
    if change.action == Action.reactivate and user.status == UserStatus.active.value:
        accounts.deactivate_user(user)


def roll_back(run: SyncRun) -> SyncRun:
    """Undo every applied change of *run*, newest first, a batch per commit; record it."""
    run_id = run.id
    resolver = _Resolver()
    while True:
        changes = list(
            db.session.scalars(
                select(SyncChange)
                .where(
                    SyncChange.run_id == run_id,
                    SyncChange.applied_at.is_not(None),
                    SyncChange.rolled_back_at.is_(None),
                )
                .order_by(SyncChange.seq.desc())
                .limit(BATCH)
            )
        )
        if not changes:
            break
        for change in changes:
            try:
                _undo(change, resolver)
            except ValidationError as exc:
                change.error = _("Could not be rolled back: %(reason)s", reason=exc.message)
            change.rolled_back_at = utcnow()
        db.session.commit()
    run = db.session.get(SyncRun, run_id)  # type: ignore[assignment]
    run.status, run.rolled_back_at = RunStatus.rolled_back.value, utcnow()
    units = _remove_created_units(run)
    after: dict[str, Any] = {"run": run.id, "changes": run.rows_applied}
    if units:
        after["org_units_removed"] = [u["name"] for u in units if u.get("removed")]
        after["org_units_kept"] = {u["name"]: u["kept"] for u in units if u.get("kept")}
    audit.record("sync.run_rolled_back", target=run.source, after=after)
    return run


def _remove_created_units(run: SyncRun) -> list[dict[str, Any]]:
    """Remove the org units *run* created that nothing else uses now; note on the run which stay and why.

    The people the run created count only while the roll-back leaves them deactivated: they are taken
    out of the unit first (the unit was theirs alone). Units inside units go first, so a location whose
    departments all go can go too.
    """
    units = [dict(unit) for unit in run.created_org_units or []]
    if not units:
        return units
    created_people = set(
        db.session.scalars(
            select(User.id)
            .join(SyncChange, SyncChange.user_id == User.id)
            .where(
                SyncChange.run_id == run.id,
                SyncChange.action == Action.create.value,
                User.status == UserStatus.deactivated.value,
            )
        )
    )
    for unit in reversed(units):
        found = db.session.get(OrgUnit, unit["id"])
        if found is None:
            unit["removed"] = True  # an admin removed it already
            continue
        uses = accounts.org_unit_uses([found.id], people_left_out=created_people)[found.id]
        if uses:
            unit["kept"] = uses
            continue
        for person in db.session.scalars(
            select(User).where(User.org_unit_id == found.id, User.id.in_(sorted(created_people)))
        ):
            accounts.update_user(person, require_contact=False, org_unit_id=None)
        db.session.flush()
        accounts.delete_org_unit(found)
        db.session.flush()
        unit["removed"] = True
    run.created_org_units = units
    return units
