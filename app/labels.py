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
    "lesson_kind": {
        "page": _l("Page"),
        "video": _l("Video"),
        "file": _l("File to download"),
        "assessment": _l("Assessment"),
        "checkpoint": _l("Practical checkpoint"),
    },
    "course_status": {
        "draft": _l("Draft"),
        "published": _l("Published"),
        "archived": _l("Archived"),
    },
    "policy_status": {
        "draft": _l("Draft"),
        "published": _l("Published"),
        "archived": _l("Archived"),
    },
    "enrollment_status": {
        "active": _l("Enrolled"),
        "completed": _l("Completed"),
        "withdrawn": _l("Withdrawn"),
    },
    "enrollment_source": {
        "manual": _l("By an administrator"),
        "self": _l("Self-enrolled"),
        "rule": _l("By a rule"),
        "path": _l("Through a path"),
        "manager": _l("By their manager"),
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
