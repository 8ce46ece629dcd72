"""Courses, lessons, learning paths, catalogs, enrollments, rules and progress."""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask_babel import lazy_gettext as _l

if TYPE_CHECKING:
    from flask import Flask


def init_app(app: Flask) -> None:
    """Register learning: lesson kinds, rule subscribers, pages, authoring, ``flask rules``."""
    from app import navigation as nav
    from app.accounts import permissions as perms
    from app.accounts.services import register_org_unit_use
    from app.learning import (
        admin_views,
        cards,
        cli,
        lesson_kinds,  # noqa: F401 - registers the page, video and file lessons
        models,  # noqa: F401 - the tables
        subscribers,  # noqa: F401 - rules react to people changing
        translated,
        views,
    )
    from app.learning.services import facet_cache, unit_uses

    translated.init_app(app)  # learners' pages show translated texts with their language
    cards.init_app(app)  # due dates written once for My learning and a person's page
    facet_cache.init_app(app)  # the catalog's filters, kept per tenant until a course changes
    # A unit a course, path or rule names is in use (an HR sync's roll-back keeps it).
    register_org_unit_use("course_audiences", _l("course or path audiences"), unit_uses.units_in_audiences)
    register_org_unit_use("enrollment_rules", _l("enrolment rules"), unit_uses.units_in_rules)
    app.register_blueprint(views.bp)
    app.register_blueprint(admin_views.bp)
    app.cli.add_command(cli.rules_group)
    authors = nav.may_any(perms.CONTENT_AUTHOR, perms.CATALOG_MANAGE)
    nav.register(
        app,
        nav.NavEntry(_l("Catalog"), "learning.catalog", "/catalog", nav.may(perms.LEARNING_TAKE), order=20),
        nav.NavEntry(
            _l("Courses"), "authoring.courses", "/admin/courses", authors, nav.ADMIN, nav.LEARNING, order=10
        ),
        nav.NavEntry(
            _l("Paths"), "authoring.paths", "/admin/paths", authors, nav.ADMIN, nav.LEARNING, order=20
        ),
        nav.NavEntry(
            _l("Rules"),
            "authoring.rules",
            "/admin/rules",
            nav.may(perms.CATALOG_MANAGE),
            nav.ADMIN,
            nav.LEARNING,
            order=40,
        ),
    )
