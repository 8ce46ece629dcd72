"""The portal as a sync sees it: every person with only the compared columns, and the org units by name."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from app.accounts.models import OrgUnit, User, UserStatus
from app.extensions import db


@dataclass
class Person:
    id: int
    email: str | None
    employee_id: str | None
    full_name: str
    job_title: str | None
    org_unit_id: int | None
    manager_id: int | None
    hire_date: str | None
    active: bool
    attributes: dict[str, Any]


def load_people() -> dict[int, Person]:
    """Every person of the tenant, with only what a sync compares."""
    rows = db.session.execute(
        select(
            User.id,
            User.email,
            User.employee_id,
            User.full_name,
            User.job_title,
            User.org_unit_id,
            User.manager_id,
            User.hire_date,
            User.status,
            User.attributes,
        )
    )
    return {
        r.id: Person(
            r.id,
            r.email,
            r.employee_id,
            r.full_name,
            r.job_title,
            r.org_unit_id,
            r.manager_id,
            r.hire_date.isoformat() if r.hire_date else None,
            r.status == UserStatus.active.value,
            dict(r.attributes or {}),
        )
        for r in rows
    }


class OrgUnits:
    """The tenant's units by name, for finding a person's location and department.

    Layout: a location is a unit of kind location (anywhere in the tree, when its name is unique;
    otherwise a new one at the top); a department is a unit of kind department under the
    person's location, or at the top when the row has no location.
    """

    def __init__(self) -> None:
        self.units = {
            r.id: (r.name, r.parent_id, r.kind)
            for r in db.session.execute(select(OrgUnit.id, OrgUnit.name, OrgUnit.parent_id, OrgUnit.kind))
        }
        self._by_name: dict[tuple[str, str], list[int]] = defaultdict(list)
        self._children: dict[tuple[int | None, str], int] = {}
        for unit_id, (name, parent_id, kind) in self.units.items():
            self._by_name[(kind, name.casefold())].append(unit_id)
            self._children[(parent_id, name.casefold())] = unit_id

    def path(self, unit_id: int | None) -> str | None:
        names, seen = [], set()
        while unit_id is not None and unit_id in self.units and unit_id not in seen:
            seen.add(unit_id)
            name, unit_id, _kind = self.units[unit_id]
            names.append(name)
        return " / ".join(reversed(names)) if names else None

    def location(self, name: str) -> int | None:
        found = self._by_name.get(("location", name.casefold()), [])
        if len(found) == 1:
            return found[0]
        return self._children.get((None, name.casefold()))

    def find(self, location: str | None, department: str | None) -> int | None:
        """The existing unit for *location* and *department*, or None when it would be created."""
        parent = self.location(location) if location else None
        if location and parent is None:
            return None
        if not department:
            return parent
        return self._children.get((parent, department.casefold()))

    def remember(self, unit_id: int, name: str, parent_id: int | None, kind: str) -> None:
        self.units[unit_id] = (name, parent_id, kind)
        self._by_name[(kind, name.casefold())].append(unit_id)
        self._children[(parent_id, name.casefold())] = unit_id


def desired_unit_label(location: str | None, department: str | None) -> str:
    return " / ".join(p for p in (location, department) if p)
