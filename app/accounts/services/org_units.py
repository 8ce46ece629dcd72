"""The organisation units of a tenant: listing them as a tree, creating and moving them.

Subtrees, ancestry and a manager's reach are computed in SQL by :mod:`app.accounts.org`.
"""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import func, select

from app import audit
from app.accounts.models import OrgUnit, OrgUnitKind
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
