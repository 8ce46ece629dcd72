"""The main navigation: what a signed-in person may reach, in order."""

from __future__ import annotations

from dataclasses import dataclass

from flask import g, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.accounts import permissions as perms


@dataclass(frozen=True)
class NavItem:
    label: str
    url: str
    current: bool


def main_navigation() -> list[NavItem]:
    """Return the main navigation items for the current person and portal."""
    if not current_user.is_authenticated:
        return []
    tenant = g.get("tenant")
    platform = bool(tenant and tenant.is_platform)
    entries: list[tuple[str, str, str | None, str]] = []  # label, endpoint, permission, url prefix
    if platform:
        entries.append((_("Tenants"), "console.tenants", perms.PLATFORM_TENANTS, "/console"))
        entries.append((_("Library"), "library.console_packages", perms.PLATFORM_LIBRARY, "/console/library"))
        entries.append((_("Quizzes"), "assessment_admin.quizzes", perms.PLATFORM_LIBRARY, "/admin/quizzes"))
    else:
        entries += [
            (_("My learning"), "accounts.home", None, "/"),
            (_("Catalog"), "learning.catalog", perms.LEARNING_TAKE, "/catalog"),
            (_("My team"), "team.index", perms.TEAM_VIEW, "/team"),
            (_("Courses"), "authoring.courses", "author", "/admin/courses"),
            (_("Paths"), "authoring.paths", "author", "/admin/paths"),
            (_("Quizzes"), "assessment_admin.quizzes", "author", "/admin/quizzes"),
            (_("Rules"), "authoring.rules", perms.CATALOG_MANAGE, "/admin/rules"),
            (_("Library"), "library.tenant_deployments", perms.CATALOG_MANAGE, "/admin/library"),
            (_("Policies"), "policy_admin.index", "policies", "/admin/policies"),
        ]
    entries += [
        (_("People"), "admin.users", perms.USERS_MANAGE, "/admin/users"),
    ]
    if not platform:
        entries += [
            (_("Organisation"), "admin.org_units", perms.ORG_MANAGE, "/admin/org-units"),
            (_("Groups"), "admin.groups", perms.GROUPS_MANAGE, "/admin/groups"),
        ]
    entries.append((_("Roles"), "admin.roles", perms.ROLES_MANAGE, "/admin/roles"))
    if not platform:
        entries.append((_("Branding"), "branding.edit", perms.BRANDING_MANAGE, "/admin/branding"))
    entries.append((_("Audit log"), "admin.audit_log", perms.AUDIT_VIEW, "/admin/audit"))
    visible = []
    for label, endpoint, permission, prefix in entries:
        if permission == "author":
            if not (current_user.can(perms.CONTENT_AUTHOR) or current_user.can(perms.CATALOG_MANAGE)):
                continue
        elif permission == "policies":
            if not (current_user.can(perms.POLICIES_MANAGE) or current_user.can(perms.POLICIES_REPORT)):
                continue
        elif permission is not None and not current_user.can(permission):
            continue
        visible.append((label, endpoint, prefix))
    # Only the best match is current: "/console/library" is the Library, not also the Tenants at "/console".
    matching = [
        prefix
        for _label, _endpoint, prefix in visible
        if (request.path == prefix if prefix == "/" else request.path.startswith(prefix))
    ]
    best = max(matching, key=len, default=None)
    return [
        NavItem(label=label, url=url_for(endpoint), current=prefix == best)
        for label, endpoint, prefix in visible
    ]
