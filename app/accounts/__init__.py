"""People, roles and permissions, groups, organisation units, sign-in and sessions."""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask_babel import lazy_gettext as _l

if TYPE_CHECKING:
    from flask import Flask


def init_app(app: Flask) -> None:
    """Register accounts: sign-in, the people, roles, groups and organisation screens, the audit log page."""
    from app import navigation as nav
    from app.accounts import (
        admin_views,
        models,  # noqa: F401 - the tables
        people_count,
        views,
    )
    from app.accounts import permissions as perms

    views.init_login(app)
    people_count.init_app(app)  # Admin → People's totals, kept until a person or a status changes
    app.register_blueprint(views.bp)
    app.register_blueprint(admin_views.bp)
    nav.register(
        app,
        nav.NavEntry(_l("My learning"), "accounts.home", "/", nav.may(None), order=10),
        # Operators have no learner pages: their tools are the platform console's top bar.
        nav.NavEntry(
            _l("People"),
            "admin.users",
            "/admin/users",
            nav.may(perms.USERS_MANAGE),
            portals=(nav.PLATFORM,),
            order=40,
        ),
        nav.NavEntry(
            _l("Roles"),
            "admin.roles",
            "/admin/roles",
            nav.may(perms.ROLES_MANAGE),
            portals=(nav.PLATFORM,),
            order=50,
        ),
        nav.NavEntry(
            _l("Audit log"),
            "admin.audit_log",
            "/admin/audit",
            nav.may(perms.AUDIT_VIEW),
            portals=(nav.PLATFORM,),
            order=60,
        ),
        nav.NavEntry(
            _l("People"),
            "admin.users",
            "/admin/users",
            nav.may(perms.USERS_MANAGE),
            nav.ADMIN,
            nav.PEOPLE,
            order=10,
        ),
        nav.NavEntry(
            _l("Organisation"),
            "admin.org_units",
            "/admin/org-units",
            nav.may(perms.ORG_MANAGE),
            nav.ADMIN,
            nav.PEOPLE,
            order=20,
        ),
        nav.NavEntry(
            _l("Groups"),
            "admin.groups",
            "/admin/groups",
            nav.may(perms.GROUPS_MANAGE),
            nav.ADMIN,
            nav.PEOPLE,
            order=30,
        ),
        nav.NavEntry(
            _l("Roles"),
            "admin.roles",
            "/admin/roles",
            nav.may(perms.ROLES_MANAGE),
            nav.ADMIN,
            nav.PEOPLE,
            order=40,
        ),
        nav.NavEntry(
            _l("Audit log"),
            "admin.audit_log",
            "/admin/audit",
            nav.may(perms.AUDIT_VIEW),
            nav.ADMIN,
            nav.COMPLIANCE,
            order=20,
        ),
    )
