"""A tenant's deployed library courses: list them, upgrade them to a newer version, hide or show them."""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select

from app import audit, events
from app.errors import ValidationError
from app.extensions import db
from app.library.models import LibraryDeployment, LibraryVersion
from app.library.services.deployments import (
    apply_version_details,
    course_for,
    materialise_course,
    materialise_lessons,
)
from app.tenancy.models import utcnow


def list_deployments() -> list[LibraryDeployment]:
    """The current tenant's deployments, by package title."""
    deployments = db.session.scalars(select(LibraryDeployment).order_by(LibraryDeployment.id)).all()
    return sorted(deployments, key=lambda d: d.package.title.casefold())


def available_upgrade(deployment: LibraryDeployment) -> LibraryVersion | None:
    """The latest published version when it is newer than the one the tenant has, else None."""
    latest = deployment.package.latest_published
    if latest is None or latest.number <= deployment.version.number:
        return None
    return latest


def versions_since(deployment: LibraryDeployment) -> list[LibraryVersion]:
    """The published versions newer than the tenant's, newest first: what an upgrade would bring."""
    return [
        v
        for v in reversed(deployment.package.versions)
        if v.is_published and v.number > deployment.version.number
    ]


def upgrade(deployment: LibraryDeployment) -> LibraryDeployment:
    """Move the tenant's course to the newest version; people already in it keep the version they started."""
    new_version = available_upgrade(deployment)
    if new_version is None:
        raise ValidationError(
            _("“%(title)s” is already on the newest version.", title=deployment.package.title)
        )
    old_version = deployment.version
    course = course_for(deployment)
    deployment.version_id = new_version.id
    deployment.version = new_version
    deployment.upgraded_at = utcnow()
    if course is None:
        course = materialise_course(deployment, new_version)
    else:
        apply_version_details(course, new_version)
        materialise_lessons(course, new_version)
    db.session.flush()
    audit.record(
        "library.deployment_upgraded",
        target=deployment,
        before={"version": old_version.number},
        after={"version": new_version.number, "course_id": course.id},
    )
    events.emit(
        "library.deployment_upgraded",
        {
            "deployment_id": deployment.id,
            "package_id": deployment.package_id,
            "course_id": course.id,
            "from_version_id": old_version.id,
            "to_version_id": new_version.id,
        },
    )
    return deployment


def set_hidden(deployment: LibraryDeployment, hidden: bool) -> LibraryDeployment:
    """Hide a library course from the tenant's catalog, or show it again."""
    hidden = bool(hidden)
    if deployment.hidden == hidden:
        return deployment
    deployment.hidden = hidden
    course = course_for(deployment)
    if course is not None:
        course.listed = not hidden
    audit.record(
        "library.deployment_hidden" if hidden else "library.deployment_shown",
        target=deployment,
        before={"hidden": not hidden},
        after={"hidden": hidden},
    )
    events.emit(
        "library.deployment_visibility_changed",
        {
            "deployment_id": deployment.id,
            "package_id": deployment.package_id,
            "hidden": hidden,
            "course_id": course.id if course else None,
        },
    )
    return deployment
