"""The navigation: what a signed-in person may reach, in order.

Features declare entries here with the area they belong to: the short top bar a learner sees
(``main``), or the admin area (``admin``), which the top bar reaches through one **Admin** entry
and which shows its own section navigation on every admin page.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import g, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from app.accounts import permissions as perms

MAIN = "main"
ADMIN = "admin"
TENANT = "tenant"
PLATFORM = "platform"


@dataclass(frozen=True)
class NavEntry:
    """One link a feature offers: where it lives (area, section) and who may see it."""

    label: Any  # a lazy string: translated when the page renders
    endpoint: str
    prefix: str  # the URL prefix of every page that belongs to this entry
    allowed: Callable[[Any], bool]
    area: str = MAIN
    section: Any = None  # the admin section heading (lazy string); admin entries only
    portals: tuple[str, ...] = (TENANT,)


@dataclass(frozen=True)
class NavItem:
    label: str
    url: str
    current: bool

    @property
    def aria_current(self) -> str | None:
        """ "page" on the link's own page, "true" on the other pages of its part of the site."""
        if not self.current:
            return None
        return "page" if self.url == request.path else "true"


@dataclass(frozen=True)
class NavSection:
    label: str
    items: list[NavItem]


_entries: list[NavEntry] = []


def register(entry: NavEntry) -> None:
    """Add a feature's navigation entry (once; registering the same endpoint again replaces it)."""
    _entries[:] = [e for e in _entries if (e.endpoint, e.portals) != (entry.endpoint, entry.portals)]
    _entries.append(entry)


def _may(permission: str | None) -> Callable[[Any], bool]:
    return lambda user: permission is None or user.can(permission)


def _may_any(*permissions: str) -> Callable[[Any], bool]:
    return lambda user: any(user.can(p) for p in permissions)


PEOPLE = _l("People and access")
LEARNING = _l("Learning content")
COMPLIANCE = _l("Compliance")
PORTAL = _l("Portal")

for _entry in (
    # The learner's top bar.
    NavEntry(_l("My learning"), "accounts.home", "/", _may(None)),
    NavEntry(_l("Catalog"), "learning.catalog", "/catalog", _may(perms.LEARNING_TAKE)),
    NavEntry(_l("My team"), "team.index", "/team", _may(perms.TEAM_VIEW)),
    # The platform console: operators have no learner pages, so their tools are the top bar.
    NavEntry(_l("Tenants"), "console.tenants", "/console", _may(perms.PLATFORM_TENANTS), portals=(PLATFORM,)),
    NavEntry(
        _l("Library"),
        "library.console_packages",
        "/console/library",
        _may(perms.PLATFORM_LIBRARY),
        portals=(PLATFORM,),
    ),
    NavEntry(
        _l("Quizzes"),
        "assessment_admin.quizzes",
        "/admin/quizzes",
        _may(perms.PLATFORM_LIBRARY),
        portals=(PLATFORM,),
    ),
    NavEntry(_l("People"), "admin.users", "/admin/users", _may(perms.USERS_MANAGE), portals=(PLATFORM,)),
    NavEntry(_l("Roles"), "admin.roles", "/admin/roles", _may(perms.ROLES_MANAGE), portals=(PLATFORM,)),
    NavEntry(_l("Audit log"), "admin.audit_log", "/admin/audit", _may(perms.AUDIT_VIEW), portals=(PLATFORM,)),
    # A tenant's admin area, by section.
    NavEntry(_l("People"), "admin.users", "/admin/users", _may(perms.USERS_MANAGE), ADMIN, PEOPLE),
    NavEntry(
        _l("Organisation"), "admin.org_units", "/admin/org-units", _may(perms.ORG_MANAGE), ADMIN, PEOPLE
    ),
    NavEntry(_l("Groups"), "admin.groups", "/admin/groups", _may(perms.GROUPS_MANAGE), ADMIN, PEOPLE),
    NavEntry(_l("Roles"), "admin.roles", "/admin/roles", _may(perms.ROLES_MANAGE), ADMIN, PEOPLE),
    NavEntry(
        _l("Courses"),
        "authoring.courses",
        "/admin/courses",
        _may_any(perms.CONTENT_AUTHOR, perms.CATALOG_MANAGE),
        ADMIN,
        LEARNING,
    ),
    NavEntry(
        _l("Paths"),
        "authoring.paths",
        "/admin/paths",
        _may_any(perms.CONTENT_AUTHOR, perms.CATALOG_MANAGE),
        ADMIN,
        LEARNING,
    ),
    NavEntry(
        _l("Quizzes"),
        "assessment_admin.quizzes",
        "/admin/quizzes",
        _may_any(perms.CONTENT_AUTHOR, perms.CATALOG_MANAGE),
        ADMIN,
        LEARNING,
    ),
    NavEntry(_l("Rules"), "authoring.rules", "/admin/rules", _may(perms.CATALOG_MANAGE), ADMIN, LEARNING),
    NavEntry(
        _l("Library"),
        "library.tenant_deployments",
        "/admin/library",
        _may(perms.CATALOG_MANAGE),
        ADMIN,
        LEARNING,
    ),
    NavEntry(
        _l("Policies"),
        "policy_admin.index",
        "/admin/policies",
        _may_any(perms.POLICIES_MANAGE, perms.POLICIES_REPORT),
        ADMIN,
        COMPLIANCE,
    ),
    NavEntry(_l("Audit log"), "admin.audit_log", "/admin/audit", _may(perms.AUDIT_VIEW), ADMIN, COMPLIANCE),
    NavEntry(_l("Branding"), "branding.edit", "/admin/branding", _may(perms.BRANDING_MANAGE), ADMIN, PORTAL),
):
    register(_entry)


def _visible() -> list[NavEntry]:
    if not current_user.is_authenticated:
        return []
    tenant = g.get("tenant")
    portal = PLATFORM if tenant is not None and tenant.is_platform else TENANT
    return [e for e in _entries if portal in e.portals and e.allowed(current_user)]


def _matches(prefix: str) -> bool:
    return request.path == prefix if prefix == "/" else request.path.startswith(prefix)


def _current(entries: list[NavEntry]) -> NavEntry | None:
    """The entry this page belongs to: the longest matching prefix ("/console/library" is not "/console")."""
    matching = [e for e in entries if _matches(e.prefix)]
    return max(matching, key=lambda e: len(e.prefix), default=None)


def main_navigation() -> list[NavItem]:
    """The top bar: the learner's pages, then one Admin entry when any admin page is open to this person."""
    visible = _visible()
    current = _current(visible)
    items = [
        NavItem(label=str(e.label), url=url_for(e.endpoint), current=e is current)
        for e in visible
        if e.area == MAIN
    ]
    admin = [e for e in visible if e.area == ADMIN]
    if admin:
        in_admin = current is not None and current.area == ADMIN
        items.append(NavItem(label=str(_l("Admin")), url=url_for(admin[0].endpoint), current=in_admin))
    return items


def admin_navigation() -> list[NavSection]:
    """The admin area's sections and links, when the current page is part of the admin area; else []."""
    visible = _visible()
    current = _current(visible)
    if current is None or current.area != ADMIN:
        return []
    sections: dict[str, list[NavItem]] = {}
    for e in visible:
        if e.area == ADMIN:
            item = NavItem(label=str(e.label), url=url_for(e.endpoint), current=e is current)
            sections.setdefault(str(e.section), []).append(item)
    return [NavSection(label=label, items=items) for label, items in sections.items()]
