"""Certifications that expire and renew: requirements, people's records, the sweep, reminders."""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask_babel import lazy_gettext as _l

if TYPE_CHECKING:
    from flask import Flask

WORDS = {
    "certification_status": {"draft": _l("Draft"), "published": _l("Published"), "archived": _l("Archived")},
    "certification_state": {
        "not_started": _l("Not started"),
        "in_progress": _l("In progress"),
        "certified": _l("Certified"),
        "expiring": _l("Expiring"),
        "expired": _l("Expired"),
        "revoked": _l("Revoked"),
    },
    "requirement_kind": {
        "course": _l("Course"),
        "path": _l("Learning path"),
        "quiz": _l("Quiz"),
        "checkpoint": _l("Practical checkpoint"),
        "policy": _l("Policy"),
    },
    "requirement_kind_plural": {
        "course": _l("Courses"),
        "path": _l("Learning paths"),
        "quiz": _l("Quizzes"),
        "checkpoint": _l("Practical checkpoints"),
        "policy": _l("Policies"),
    },
}


def init_app(app: Flask) -> None:
    """Register certifications: tables, subscribers, audit sentences, pages, ``flask certifications``."""
    from app import navigation as nav
    from app.accounts import permissions as perms
    from app.accounts.services import register_org_unit_use
    from app.certifications import (
        admin_people,  # noqa: F401 - a certification's people, awards, revocations and imports
        admin_views,
        audit_sentences,  # noqa: F401 - the audit log's sentences
        cli,
        models,  # noqa: F401 - the tables
        rule_target,
        subscribers,  # noqa: F401 - work done re-evaluates certifications; audiences start them
        translatable,
        unit_uses,
        views,
    )
    from app.labels import add_label

    rule_target.register()
    translatable.register_kinds()
    register_org_unit_use(
        "certification_audiences", _l("certification audiences"), unit_uses.units_in_audiences
    )

    for group, words in WORDS.items():
        for code, text in words.items():
            add_label(group, code, text)
    app.register_blueprint(views.bp)
    app.register_blueprint(admin_views.bp)
    app.cli.add_command(cli.certifications_group)
    nav.register(
        app,
        nav.NavEntry(
            _l("My certifications"),
            "certifications.mine",
            "/certifications",
            nav.may(perms.LEARNING_TAKE),
            order=25,
        ),
        nav.NavEntry(
            _l("Certifications"),
            "certification_admin.index",
            "/admin/certifications",
            nav.may_any(perms.CATALOG_MANAGE, perms.REPORTS_VIEW),
            nav.ADMIN,
            nav.LEARNING,
            order=35,
        ),
    )
