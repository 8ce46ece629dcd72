"""What a source's row says about a person: the fields a sync carries and how a row maps onto them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from flask_babel import lazy_gettext as _l

# The person fields a sync carries, in the order the mapping table shows them.
FIELDS: dict[str, Any] = {
    "source_id": _l("The source's own person id"),
    "employee_id": _l("Employee ID"),
    "email": _l("Email"),
    "first_name": _l("First name"),
    "last_name": _l("Last name"),
    "full_name": _l("Full name"),
    "job_title": _l("Job title"),
    "hire_date": _l("Hire date"),
    "location": _l("Location"),
    "department": _l("Department"),
    "manager_employee_id": _l("Manager's employee ID"),
    "status": _l("Status (active or terminated)"),
}

DEFAULT_TERMINATED = ["terminated", "inactive", "false", "0", "no", "left"]


def default_mapping() -> dict[str, Any]:
    """Every field read from the column of the same name; no custom attributes."""
    return {name: name for name in FIELDS} | {"attributes": {}}


@dataclass
class Record:
    """One source row, mapped: only what the row actually carries is set (None = not in the row)."""

    row_number: int
    values: dict[str, str | None] = field(default_factory=dict)
    attributes: dict[str, str] = field(default_factory=dict)
    active: bool = True

    def get(self, name: str) -> str | None:
        return self.values.get(name)

    def has(self, name: str) -> bool:
        return name in self.values

    @property
    def full_name(self) -> str:
        full = (self.values.get("full_name") or "").strip()
        if full:
            return full
        parts = [self.values.get("first_name") or "", self.values.get("last_name") or ""]
        return " ".join(p.strip() for p in parts if p.strip())

    @property
    def has_name(self) -> bool:
        return any(self.has(n) for n in ("full_name", "first_name", "last_name"))

    @property
    def source_key(self) -> str | None:
        """The source's id for this person: its own id, else the employee id, else the email."""
        for name in ("source_id", "employee_id"):
            if self.values.get(name):
                return self.values[name]
        email = self.values.get("email")
        return email.lower() if email else None

    @property
    def label(self) -> str:
        return self.full_name or self.values.get("employee_id") or self.values.get("email") or ""


def map_row(number: int, row: Mapping[str, Any], mapping: Mapping[str, Any], terminated: list[str]) -> Record:
    """Read *row* through *mapping*; a column the row lacks leaves its field unset."""
    record = Record(row_number=number)
    for name in FIELDS:
        column = mapping.get(name)
        if not column or column not in row:
            continue
        value = row[column]
        text = "" if value is None else str(value).strip()
        record.values[name] = text or None
    for attribute, column in (mapping.get("attributes") or {}).items():
        if column and column in row:
            value = row[column]
            record.attributes[str(attribute)] = "" if value is None else str(value).strip()
    status = (record.values.get("status") or "").casefold()
    record.active = not status or status not in {t.casefold() for t in terminated}
    return record


def parse_date(text: str | None) -> date | None:
    """The date in *text* (``YYYY-MM-DD``, perhaps followed by a time); ValueError when it is not one."""
    if not text:
        return None
    return date.fromisoformat(text.strip()[:10])
