"""Words for stored codes (org unit kinds, audiences), in the reader's language."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

LABELS = {
    "kind": {
        "region": _l("Region"),
        "location": _l("Location"),
        "department": _l("Department"),
        "other": _l("Other"),
    },
    "audience": {
        "employees": _l("Employees"),
        "partners": _l("Channel partners"),
        "franchise": _l("Franchise"),
        "customers": _l("Customers"),
        "other": _l("Other"),
    },
}


def label(group: str, code: str | None) -> str:
    """Return the translated word for *code* in *group*, or the code itself."""
    if code is None:
        return ""
    return str(LABELS.get(group, {}).get(code, code))
