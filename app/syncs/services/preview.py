"""Preview a run: read the source, match each row to a person, and store only what would change.

Built for 100,000 rows: the tenant's people are loaded once, only the columns compared, into plain
dicts; the diff is Python; changes are written with one executemany per thousand.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from email_validator import EmailNotValidError, validate_email
from flask_babel import gettext as _
from sqlalchemy import insert, select

from app.extensions import db
from app.syncs.models import Action, SyncChange, SyncLink, SyncRun, SyncSource
from app.syncs.services.fields import Record, map_row, parse_date
from app.syncs.services.snapshot import OrgUnits, Person, desired_unit_label, load_people
from app.tenancy.models import utcnow

BATCH = 1000
# The order changes are applied in (after managers before their reports), the leavers last.
_ORDER = {Action.create: 0, Action.reactivate: 1, Action.update: 2, Action.move: 2, Action.deactivate: 3}


@dataclass
class Planned:
    record: Record
    action: str
    user_id: int | None = None
    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = None
    reason: str | None = None


def _clean_email(text: str) -> str:
    try:
        return validate_email(text, check_deliverability=False).normalized.lower()
    except EmailNotValidError:
        raise ValueError(_("“%(email)s” is not an email address.", email=text)) from None


class Differ:
    """Everything a preview compares against, loaded once."""

    def __init__(self, source: SyncSource) -> None:
        self.source = source
        self.people = load_people()
        self.by_email = {p.email.lower(): p.id for p in self.people.values() if p.email}
        self.by_employee = {p.employee_id: p.id for p in self.people.values() if p.employee_id}
        self.links: dict[str, int] = {
            key: user_id
            for key, user_id in db.session.execute(
                select(SyncLink.source_key, SyncLink.user_id).where(SyncLink.source_id == source.id)
            )
        }
        self.units = OrgUnits()

    def matches(self, record: Record) -> dict[int, list[str]]:
        """The people *record* points at, each with the keys that point there."""
        found: dict[int, list[str]] = defaultdict(list)
        source_id = record.get("source_id")
        if source_id and source_id in self.links:
            found[self.links[source_id]].append(_("the source's id"))
        elif not source_id and record.source_key in self.links:
            found[self.links[record.source_key or ""]].append(_("the source's id"))
        employee_id = record.get("employee_id")
        if employee_id and employee_id in self.by_employee:
            found[self.by_employee[employee_id]].append(_("employee ID"))
        email = (record.get("email") or "").strip().lower()
        if email and email in self.by_email:
            found[self.by_email[email]].append(_("email"))
        return found

    def label(self, user_id: int | None) -> str:
        if user_id is None or user_id not in self.people:
            return ""
        person = self.people[user_id]
        return f"{person.full_name} ({person.employee_id})" if person.employee_id else person.full_name


def _compare(
    differ: Differ, record: Record, person: Person | None, feed_employees: set[str], notes: list[str]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The fields *record* would change on *person* (None: a new person): before and after. ValueError
    names a value the portal cannot take; *notes* collects what is left out and why."""
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}

    def put(name: str, old: Any, new: Any) -> None:
        if old != new:
            before[name] = old
            after[name] = new

    if record.get("email"):
        email = (record.get("email") or "").strip()
        current = person.email if person else None
        if current is None or email.lower() != current.lower():
            put("email", current, _clean_email(email))
    if record.has_name and record.full_name:
        if len(record.full_name) > 200:
            raise ValueError(_("The name is longer than 200 characters."))
        put("full_name", person.full_name if person else None, record.full_name)
    if record.get("employee_id"):
        put("employee_id", person.employee_id if person else None, record.get("employee_id"))
    if record.has("job_title"):
        put("job_title", person.job_title if person else None, record.get("job_title"))
    if record.has("hire_date"):
        try:
            hire = parse_date(record.get("hire_date"))
        except ValueError:
            raise ValueError(
                _("The hire date “%(value)s” is not a date (YYYY-MM-DD).", value=record.get("hire_date"))
            ) from None
        put("hire_date", person.hire_date if person else None, hire.isoformat() if hire else None)
    location, department = record.get("location"), record.get("department")
    if location or department:
        wanted = differ.units.find(location, department)
        current_unit = person.org_unit_id if person else None
        if wanted is None or wanted != current_unit:
            before["org_unit"] = differ.units.path(current_unit)
            before["_org_unit_id"] = current_unit
            after["org_unit"] = (
                differ.units.path(wanted) if wanted else desired_unit_label(location, department)
            )
            after["_location"], after["_department"] = location, department
    if record.has("manager_employee_id"):
        manager_key = record.get("manager_employee_id")
        if manager_key and manager_key == record.get("employee_id"):
            raise ValueError(_("The row names the person as their own manager."))
        wanted_manager = differ.by_employee.get(manager_key) if manager_key else None
        unknown = bool(manager_key and wanted_manager is None and manager_key not in feed_employees)
        if unknown:
            # The rest of the row is still right: the person arrives or changes, their manager stays.
            notes.append(
                _(
                    "The manager's employee ID %(id)s is neither in the portal nor in the source: "
                    "the manager is left as it is.",
                    id=manager_key,
                )
            )
        current_manager = person.manager_id if person else None
        if unknown:
            pass
        elif (wanted_manager is None and manager_key) or wanted_manager != current_manager:
            before["manager"] = differ.label(current_manager) or None
            before["_manager_id"] = current_manager
            after["manager"] = differ.label(wanted_manager) or manager_key
            after["_manager_employee_id"] = manager_key
    if record.attributes:
        old = person.attributes if person else {}
        changed = {k: v or None for k, v in record.attributes.items() if (old.get(k) or None) != (v or None)}
        if changed:
            before["attributes"] = {k: old.get(k) for k in changed}
            after["attributes"] = changed
    return before, after


def plan(differ: Differ, rows: Iterable[Mapping[str, Any]]) -> tuple[list[Planned], int, int]:
    """Every change the rows ask for, the number of rows read and of people left as they are."""
    source = differ.source
    terminated = source.terminated_values or []
    records = [map_row(n, row, source.mapping or {}, terminated) for n, row in enumerate(rows, start=1)]
    feed_employees = {r.values["employee_id"] or "" for r in records if r.get("employee_id")}
    planned: list[Planned] = []
    unchanged = 0
    claimed: dict[int, list[Planned]] = defaultdict(list)
    new_by_key: dict[str, list[Planned]] = defaultdict(list)
    seen_keys: set[str] = set()
    for record in records:
        if record.source_key:
            seen_keys.add(record.source_key)
        if not record.get("employee_id") and not record.get("email") and not record.get("source_id"):
            planned.append(
                Planned(record, Action.rejected, reason=_("The row has no employee ID and no email."))
            )
            continue
        found = differ.matches(record)
        if len(found) > 1:
            names = "; ".join(
                _("%(name)s by %(keys)s", name=differ.label(uid), keys=", ".join(keys))
                for uid, keys in found.items()
            )
            planned.append(
                Planned(
                    record,
                    Action.conflict,
                    reason=_("The row matches more than one person: %(names)s.", names=names),
                )
            )
            continue
        user_id = next(iter(found), None)
        person = differ.people.get(user_id) if user_id is not None else None
        if person is None and not record.active:
            unchanged += 1  # someone who left before the portal knew them
            continue
        if person is not None and not record.active:
            if person.active:
                item = Planned(
                    record, Action.deactivate, user_id, {"status": "active"}, {"status": "deactivated"}
                )
                item.reason = _(
                    "Their status in the source is “%(status)s”, which means they have left.",
                    status=record.get("status") or "",
                )
                planned.append(item)
                claimed[person.id].append(item)
            else:
                unchanged += 1
            continue
        try:
            if person is None and not record.full_name:
                raise ValueError(_("A new person needs a name."))
            if person is None and not record.get("email") and not record.get("employee_id"):
                raise ValueError(_("A new person needs an email or an employee ID."))
            notes: list[str] = []
            before, after = _compare(differ, record, person, feed_employees, notes)
        except ValueError as exc:
            planned.append(Planned(record, Action.rejected, user_id, reason=str(exc)))
            continue
        note = " ".join(notes) or None
        if person is None:
            item = Planned(record, Action.create, None, {}, after, reason=note)
            planned.append(item)
            for key in (record.get("employee_id"), (record.get("email") or "").lower()):
                if key:
                    new_by_key[key].append(item)
            continue
        if not person.active:
            before["status"], after["status"] = "deactivated", "active"
            action = Action.reactivate
        elif not after and note is None:
            unchanged += 1
            claimed[person.id].append(Planned(record, "unchanged", person.id))
            continue
        else:
            action = Action.move if ("org_unit" in after or "manager" in after) else Action.update
        item = Planned(record, action, person.id, before, after, reason=note)
        planned.append(item)
        claimed[person.id].append(item)
    unchanged -= _mark_conflicts(differ, claimed, new_by_key)
    if source.full_feed:
        planned.extend(_missing_from_feed(differ, seen_keys))
    planned = [p for p in planned if p.action != "unchanged"]
    return planned, len(records), unchanged


def _mark_conflicts(
    differ: Differ, claimed: dict[int, list[Planned]], new_by_key: dict[str, list[Planned]]
) -> int:
    """Turn rows that claim the same person into conflicts; return how many were counted unchanged."""
    were_unchanged = 0
    for user_id, items in claimed.items():
        if len(items) > 1:
            rows = ", ".join(str(i.record.row_number) for i in items)
            for item in items:
                if item.action == "unchanged":
                    were_unchanged += 1
                item.action, item.user_id = Action.conflict, user_id
                item.reason = _("Rows %(rows)s all claim %(name)s.", rows=rows, name=differ.label(user_id))
    for key, items in new_by_key.items():
        if len(items) > 1:
            rows = ", ".join(str(i.record.row_number) for i in items)
            for item in items:
                item.action = Action.conflict
                item.reason = _("Rows %(rows)s would all be a new person with %(key)s.", rows=rows, key=key)
    return were_unchanged


def _missing_from_feed(differ: Differ, seen_keys: set[str]) -> list[Planned]:
    """People this source brought in who are no longer in the full feed: they have left."""
    missing = []
    for key, user_id in differ.links.items():
        person = differ.people.get(user_id)
        if key not in seen_keys and person is not None and person.active:
            item = Planned(
                Record(row_number=0),
                Action.deactivate,
                user_id,
                {"status": "active"},
                {"status": "deactivated"},
            )
            item.record.values["source_id"] = key
            item.record.values["full_name"] = person.full_name
            item.reason = _("No longer in the source's full list of people.")
            missing.append(item)
    return missing


def _depths(planned: list[Planned]) -> dict[int, int]:
    """How many changes must come before each one: a person's manager is created, or given the
    employee ID the row names, before them."""
    provider: dict[str, int] = {}
    for index, item in enumerate(planned):
        employee_id = (item.after or {}).get("employee_id")
        if item.action in (Action.create, Action.update, Action.move, Action.reactivate) and employee_id:
            provider[employee_id] = index
    depth: dict[int, int] = {}
    for index, item in enumerate(planned):
        level, seen = 0, {index}
        manager = (item.after or {}).get("_manager_employee_id")
        while manager in provider and provider[manager] not in seen:
            seen.add(provider[manager])
            level += 1
            manager = (planned[provider[manager]].after or {}).get("_manager_employee_id")
        depth[index] = level
    return depth


def store(run: SyncRun, planned: list[Planned]) -> dict[str, int]:
    """Write *planned* as the run's changes, in the order they will be applied; return the counts."""
    depth = _depths(planned)
    order = sorted(
        range(len(planned)),
        key=lambda i: (
            planned[i].action == Action.deactivate,
            depth[i],
            _ORDER.get(Action(planned[i].action), 9),
            planned[i].record.row_number,
        ),
    )
    counts: dict[str, int] = defaultdict(int)
    batch: list[dict[str, Any]] = []
    for seq, index in enumerate(order, start=1):
        item = planned[index]
        counts[str(item.action)] += 1
        batch.append(
            {
                "tenant_id": run.tenant_id,
                "run_id": run.id,
                "seq": seq,
                "row_number": item.record.row_number or None,
                "action": str(item.action),
                "user_id": item.user_id,
                "source_key": (item.record.source_key or "")[:200] or None,
                "label": item.record.label[:300] or None,
                "before": item.before or {},
                "after": item.after or {},
                "reason": item.reason,
            }
        )
        if len(batch) >= BATCH:
            db.session.execute(insert(SyncChange), batch)
            batch = []
    if batch:
        db.session.execute(insert(SyncChange), batch)
    return dict(counts)


def preview(run: SyncRun, rows: Iterable[Mapping[str, Any]]) -> SyncRun:
    """Compare *rows* with the portal's people and store the run's changes; nothing about people changes."""
    differ = Differ(run.source)
    planned, read, unchanged = plan(differ, rows)
    counts = store(run, planned)
    counts["unchanged"] = unchanged
    run.counts = counts
    run.rows_read = read
    run.previewed_at = utcnow()
    return run
