"""Permission strings and the built-in roles made of them."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

# Tenant permissions.
LEARNING_TAKE = "learning.take"
TEAM_VIEW = "team.view"
TEAM_ASSIGN = "team.assign"
COURSES_TEACH = "courses.teach"
CONTENT_AUTHOR = "content.author"
CATALOG_MANAGE = "catalog.manage"
REPORTS_VIEW = "reports.view"
AUDIT_VIEW = "audit.view"
USERS_MANAGE = "users.manage"
GROUPS_MANAGE = "groups.manage"
ORG_MANAGE = "org.manage"
ROLES_MANAGE = "roles.manage"
BRANDING_MANAGE = "branding.manage"
INTEGRATIONS_MANAGE = "integrations.manage"
POLICIES_MANAGE = "policies.manage"
# Read-only: who accepted which policy version, and the CSV of it (for auditors).
POLICIES_REPORT = "policies.report"
# The partner program: which partner companies hold enough certified people for their tier.
PARTNERS_VIEW = "partners.view"
PARTNERS_MANAGE = "partners.manage"
# The portal's own words for interface messages, per language (admin → Terminology).
TRANSLATIONS_MANAGE = "translations.manage"

# Platform permissions, held by operators in the platform tenant.
PLATFORM_TENANTS = "platform.tenants.manage"
PLATFORM_LIBRARY = "platform.library.manage"
PLATFORM_USAGE = "platform.usage.view"

TENANT_PERMISSIONS = (
    LEARNING_TAKE,
    TEAM_VIEW,
    TEAM_ASSIGN,
    COURSES_TEACH,
    CONTENT_AUTHOR,
    CATALOG_MANAGE,
    REPORTS_VIEW,
    AUDIT_VIEW,
    USERS_MANAGE,
    GROUPS_MANAGE,
    ORG_MANAGE,
    ROLES_MANAGE,
    BRANDING_MANAGE,
    INTEGRATIONS_MANAGE,
    POLICIES_MANAGE,
    POLICIES_REPORT,
    PARTNERS_VIEW,
    PARTNERS_MANAGE,
    TRANSLATIONS_MANAGE,
)
PLATFORM_PERMISSIONS = (PLATFORM_TENANTS, PLATFORM_LIBRARY, PLATFORM_USAGE)

# key -> (display name, permissions)
BUILTIN_ROLES: dict[str, tuple[object, tuple[str, ...]]] = {
    "learner": (_l("Learner"), (LEARNING_TAKE,)),
    "manager": (_l("Manager"), (LEARNING_TAKE, TEAM_VIEW, TEAM_ASSIGN, REPORTS_VIEW)),
    "instructor": (_l("Instructor"), (LEARNING_TAKE, COURSES_TEACH, TEAM_VIEW)),
    "author": (_l("Author"), (LEARNING_TAKE, CONTENT_AUTHOR, CATALOG_MANAGE)),
    "auditor": (_l("Auditor"), (REPORTS_VIEW, AUDIT_VIEW, POLICIES_REPORT)),
    "translator": (_l("Translator"), (LEARNING_TAKE, TRANSLATIONS_MANAGE)),
    "tenant_admin": (_l("Tenant admin"), TENANT_PERMISSIONS),
}
PLATFORM_BUILTIN_ROLES: dict[str, tuple[object, tuple[str, ...]]] = {
    "operator": (_l("Platform operator"), (*PLATFORM_PERMISSIONS, AUDIT_VIEW, USERS_MANAGE, ROLES_MANAGE)),
}
