"""The organisation units of a tenant: listing them as a tree, creating, moving and removing them.

Subtrees, ancestry and a manager's reach are computed in SQL by :mod:`app.accounts.org`.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, select

from app import audit
from app.accounts.models import OrgUnit, OrgUnitKind, User
from app.accounts.org import subtree_ids
from app.errors import ValidationError
from app.extensions import db


def list_org_units() -> list[OrgUnit]:
    return list(db.session.scalars(select(OrgUnit).order_by(OrgUnit.name)))


def org_unit_tree() -> list[tuple[OrgUnit, int]]:
    """Return every org unit with its depth, parents before children."""
    units = list_org_units()
    children: dict[int | None, list[OrgUnit]] = {}
    for unit in units:
        children.setdefault(unit.parent_id, []).append(unit)
    ordered: list[tuple[OrgUnit, int]] = []

    def walk(parent_id: int | None, depth: int) -> None:
        for unit in children.get(parent_id, []):
            ordered.append((unit, depth))
            walk(unit.id, depth + 1)

    walk(None, 0)
    return ordered


def _clean_org_unit(
    unit: OrgUnit | None, name: str, kind: str, parent_id: int | None
) -> tuple[str, str, int | None]:
    name = (name or "").strip()
    if not name:
        raise ValidationError(_("Enter a name for the unit."), field="name")
    if kind not in {k.value for k in OrgUnitKind}:
        raise ValidationError(_("Choose a kind from the list."), field="kind")
    parent = None
    if parent_id:
        parent = db.session.get(OrgUnit, int(parent_id))
        if parent is None:
            raise ValidationError(_("Choose a parent unit from the list."), field="parent_id")
        if unit is not None and parent.id in subtree_ids(unit.id):
            raise ValidationError(
                _("A unit cannot sit inside itself or one of its own units."), field="parent_id"
            )
    clash = db.session.scalars(
        select(OrgUnit.id).where(
            func.lower(OrgUnit.name) == name.lower(),
            OrgUnit.parent_id == parent.id if parent else OrgUnit.parent_id.is_(None),
        )
    ).first()
    if clash is not None and (unit is None or clash != unit.id):
        raise ValidationError(_("There is already a unit called “%(name)s” here.", name=name), field="name")
    return name, kind, parent.id if parent else None


def create_org_unit(
    name: str, kind: str = "location", parent_id: int | None = None, code: str | None = None
) -> OrgUnit:
    """Create an organisation unit under *parent_id* (or at the top)."""
    name, kind, parent_id = _clean_org_unit(None, name, kind, parent_id)
    unit = OrgUnit(name=name, kind=kind, parent_id=parent_id, code=(code or "").strip() or None)
    db.session.add(unit)
    audit.record("org_unit.created", target=unit, after={"name": name, "kind": kind, "parent_id": parent_id})
    return unit


def update_org_unit(
    unit: OrgUnit, name: str, kind: str, parent_id: int | None, code: str | None = None
) -> OrgUnit:
    """Rename or move *unit*."""
    before = {"name": unit.name, "kind": unit.kind, "parent_id": unit.parent_id, "code": unit.code}
    unit.name, unit.kind, unit.parent_id = _clean_org_unit(unit, name, kind, parent_id)
    unit.code = (code or "").strip() or None
    after = {"name": unit.name, "kind": unit.kind, "parent_id": unit.parent_id, "code": unit.code}
    if before != after:
        audit.record("org_unit.updated", target=unit, before=before, after=after)
    return unit


# ---------------------------------------------------------------- uses, and removing an unused unit

# Features that name units by id in their own data (course audiences, rule conditions …) register a
# finder: given unit ids, it returns those it uses. With the units inside a unit, its people and any
# table with a foreign key to units, it decides whether a unit is still in use.
UnitFinder = Callable[[list[int]], set[int]]
_USES: dict[str, tuple[Any, UnitFinder]] = {}


def register_org_unit_use(key: str, label: Any, find: UnitFinder) -> None:
    """Declare that *find* tells which units the feature's data (*label*, a lazy text) refers to."""
    _USES[key] = (label, find)


def org_unit_uses(
    unit_ids: Collection[int], *, people_left_out: Collection[int] = ()
) -> dict[int, list[str]]:
    """What still refers to each of *unit_ids* (none: an empty list), in words for the admin.

    The people in *people_left_out* do not count (those the caller is about to take out of the unit).
    """
    ids = sorted(set(unit_ids))
    uses: dict[int, list[str]] = {unit_id: [] for unit_id in ids}
    if not ids:
        return uses
    children = select(OrgUnit.parent_id).where(OrgUnit.parent_id.in_(ids)).distinct()
    for parent_id in db.session.scalars(children):
        if parent_id is not None:
            uses[parent_id].append(_("the units inside it"))
    people = select(User.org_unit_id).where(User.org_unit_id.in_(ids))
    if people_left_out:
        people = people.where(User.id.not_in(sorted(set(people_left_out))))
    for unit_id in db.session.scalars(people.distinct()):
        if unit_id is not None:
            uses[unit_id].append(_("people"))
    for table, column in _foreign_keys_to_units():
        # A feature names its use in the column's info, in the admin's language; the table's name is
        # the fallback for a column that does not.
        label = column.info.get("unit_use")
        for (unit_id,) in db.session.execute(select(column).where(column.in_(ids)).distinct()):
            uses[unit_id].append(
                str(label) if label else _("records of %(table)s", table=table.name.replace("_", " "))
            )
    for label, find in _USES.values():
        for unit_id in find(ids) & set(ids):
            uses[unit_id].append(str(label))
    return uses


def _foreign_keys_to_units() -> list[tuple[Any, Any]]:
    """Every column of another feature's table that points at a unit (people and the tree aside)."""
    found = []
    for table in db.metadata.sorted_tables:
        if table.name in (OrgUnit.__tablename__, User.__tablename__):
            continue
        for key in table.foreign_keys:
            if key.column.table.name == OrgUnit.__tablename__:
                found.append((table, key.parent))
    return found


def delete_org_unit(unit: OrgUnit) -> None:
    """Remove *unit*, which nothing refers to any more (callers check with ``org_unit_uses``)."""
    audit.record(
        "org_unit.deleted",
        target=unit,
        before={"name": unit.name, "kind": unit.kind, "parent_id": unit.parent_id, "code": unit.code},
    )
    db.session.delete(unit)
