"""Words for stored codes (org unit kinds, audiences, lesson kinds), in the reader's language.

Codes that a registry defines register their words with ``add_label``: every lesson kind does
so when it is registered, so a new kind needs no edit here.
"""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l

from app.reader_translations import text_of

LABELS: dict[str, dict[str, Any]] = {
    "kind": {
        "region": _l("Region"),
        "location": _l("Location"),
        "department": _l("Department"),
        "company": _l("Partner company"),
        "other": _l("Other"),
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


#: A status badge's words and colour (badge-<tone>) for each status key the ``status_badge`` macro knows.
BADGES: dict[str, tuple[Any, str]] = {
    "active": (_l("Active"), "active"),
    "deactivated": (_l("Deactivated"), "deactivated"),
    "switched_off": (_l("Switched off"), "deactivated"),
    "suspended": (_l("Suspended"), "suspended"),
    "published": (_l("Published"), "active"),
    "draft": (_l("Draft"), "draft"),
    "accepted": (_l("Accepted"), "active"),
    "asks_everyone": (_l("asks everyone"), "active"),
    "completed": (_l("Completed"), "active"),
    "done": (_l("Done"), "active"),
    "locked": (_l("Locked"), "locked"),
    "up_next": (_l("Up next"), ""),
    "passed": (_l("Passed"), "active"),
    "not_passed": (_l("Not passed"), "deactivated"),
    "right": (_l("Right"), "active"),
    "partly_right": (_l("Partly right"), ""),
    "not_right": (_l("Not right"), "deactivated"),
    # A translation's state in one language (Admin → Translations).
    "translation_missing": (_l("Not translated"), "deactivated"),
    "translation_partial": (_l("Partly translated"), "draft"),
    "translation_outdated": (_l("Outdated"), "suspended"),
    "translation_complete": (_l("Translated"), "active"),
    "translation_reviewed": (_l("Reviewed"), "active"),
}


def badge(status: str) -> tuple[str, str]:
    """A status badge's translated words and tone; an unknown status is shown as it is, as its own tone.

    Only the one status shown is translated: badges sit in table rows, once per person or lesson.
    """
    known = BADGES.get(status)
    return (text_of(known[0]), known[1]) if known else (status, status)


def add_label(group: str, code: str, text: Any) -> None:
    """Register the (lazily translated) word for *code* in *group*."""
    LABELS.setdefault(group, {})[code] = text


def label(group: str, code: str | None) -> str:
    """Return the translated word for *code* in *group*, or the code itself."""
    if code is None:
        return ""
    return text_of(LABELS.get(group, {}).get(code, code))
