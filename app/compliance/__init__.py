"""Compliance at a glance: what each person must do and how it stands, a manager's dashboard, reminders."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flask_babel import lazy_gettext as _l

if TYPE_CHECKING:
    from flask import Flask

WORDS = {
    "compliance_status": {
        "overdue": _l("Overdue"),
        "expired": _l("Expired"),
        "expiring": _l("Expiring"),
        "due_soon": _l("Due soon"),
        "not_started": _l("Not started"),
        "in_progress": _l("In progress"),
        "done": _l("Done"),
    },
    "compliance_kind": {
        "course": _l("Course"),
        "path": _l("Learning path"),
        "certification": _l("Certification"),
        "policy": _l("Policy"),
        "checkpoint": _l("Practical checkpoint"),
    },
}


def init_app(app: Flask) -> None:
    """Register compliance: its tables, audit sentences, the dashboard's and the roll-up's pages."""
    from app.compliance import (
        audit_sentences,  # noqa: F401 - the audit log's sentences
        models,  # noqa: F401 - the tables
        rollup_views,
        views,
    )
    from app.labels import add_label

    for group, words in WORDS.items():
        for code, text in words.items():
            add_label(group, code, text)
    app.register_blueprint(views.bp)
    _register_rollup(app, rollup_views)


def _register_rollup(app: Flask, rollup_views: Any) -> None:
    """The roll-up of compliance per location: its page, and a top-bar entry for those who may compare."""
    from app import navigation as nav
    from app.accounts import permissions as perms
    from app.compliance.cli import compliance_group

    app.register_blueprint(rollup_views.bp)
    app.cli.add_command(compliance_group)
    nav.register(
        app,
        nav.NavEntry(
            _l("Locations"),
            "compliance_rollup.locations",
            "/team/compliance/locations",
            # Managers open it from My team (Compare locations); admins and auditors from here.
            nav.may_any(perms.USERS_MANAGE, perms.AUDIT_VIEW),
            nav.ADMIN,
            nav.COMPLIANCE,
            order=12,
        ),
    )
