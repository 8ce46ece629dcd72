"""Words for a run's statuses, its changes' actions and the fields a sync carries."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l

from app.syncs.services.fields import FIELDS

RUN_STATUS: dict[str, tuple[Any, str]] = {
    "previewing": (_l("Reading the source"), "draft"),
    "preview_ready": (_l("Preview ready"), ""),
    "awaiting_approval": (_l("Waiting for approval"), "suspended"),
    "applying": (_l("Applying"), "draft"),
    "applied": (_l("Applied"), "active"),
    "failed": (_l("Failed"), "deactivated"),
    "cancelled": (_l("Cancelled"), "deactivated"),
    "rolled_back": (_l("Rolled back"), "suspended"),
}

ACTIONS: dict[str, Any] = {
    "create": _l("New people"),
    "update": _l("Updated"),
    "move": _l("Moved (organisation unit or manager)"),
    "reactivate": _l("Reactivated"),
    "deactivate": _l("Deactivated (left)"),
    "conflict": _l("Conflicts (not applied: fix them in the source or the portal)"),
    "rejected": _l("Rejected rows"),
    "unchanged": _l("Unchanged"),
}

CHANGE_FIELDS: dict[str, Any] = {
    **FIELDS,
    "org_unit": _l("Organisation unit"),
    "manager": _l("Manager"),
    "attributes": _l("Attributes"),
}
CHANGE_FIELDS["status"] = _l("Status")


def run_status(status: str) -> tuple[str, str]:
    text, tone = RUN_STATUS.get(status, (status, ""))
    return str(text), tone
