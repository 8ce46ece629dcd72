"""Author library packages, publish immutable versions, and deploy them to tenants as courses.

Packages and versions are global; a deployment and the course it materialises
belong to one tenant. Platform actions are audited in the platform tenant's
log; what happens inside a tenant is audited in that tenant's log too.

The operations live by topic: ``content`` (checking what a package holds),
``versions`` (drafts and publishing), ``deployments`` (targeting and deploying)
and ``tenant_deployments`` (a tenant's library courses); they are all
available from this package.
"""

from __future__ import annotations

from app.library.services.content import (
    LESSON_KINDS,
    TARGET_AUDIENCES,
    clean_lessons,
    platform_tenant,
    version_snapshot,
)
from app.library.services.deployments import (
    course_for,
    deploy,
    deploy_to_matching_tenants,
    deployed_tenant_ids,
    deployment_counts,
    find_deployment,
    matches,
    set_targeting,
    targeting_snapshot,
    tenants_to_deploy,
)
from app.library.services.tenant_deployments import (
    available_upgrade,
    list_deployments,
    set_hidden,
    upgrade,
    versions_since,
)
from app.library.services.versions import (
    RELEASE_NOTES_MAX,
    PublishedVersionChanged,
    check_publishable,
    clean_certification,
    create_package,
    get_package,
    list_packages,
    publish,
    set_certification,
    start_new_draft,
    update_draft,
)

__all__ = [
    "LESSON_KINDS",
    "RELEASE_NOTES_MAX",
    "TARGET_AUDIENCES",
    "PublishedVersionChanged",
    "available_upgrade",
    "check_publishable",
    "clean_certification",
    "clean_lessons",
    "course_for",
    "create_package",
    "deploy",
    "deploy_to_matching_tenants",
    "deployed_tenant_ids",
    "deployment_counts",
    "find_deployment",
    "get_package",
    "list_deployments",
    "list_packages",
    "matches",
    "platform_tenant",
    "publish",
    "set_certification",
    "set_hidden",
    "set_targeting",
    "start_new_draft",
    "targeting_snapshot",
    "tenants_to_deploy",
    "update_draft",
    "upgrade",
    "version_snapshot",
    "versions_since",
]
