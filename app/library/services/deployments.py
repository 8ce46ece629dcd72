"""Which tenants a package targets, and deploying it to them as a course (once per tenant and package)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, select

from app import audit, events
from app.errors import ValidationError
from app.extensions import db
from app.learning.models import Course, CourseStatus, Lesson
from app.library.models import LibraryDeployment, LibraryPackage, LibraryVersion
from app.library.services.content import TARGET_AUDIENCES, lesson_content, record_platform
from app.tenancy import as_tenant, unscoped
from app.tenancy.context import platform_writes
from app.tenancy.models import Tenant, TenantStatus


def targeting_snapshot(package: LibraryPackage) -> dict[str, Any]:
    return {
        "audiences": list(package.audiences or []),
        "partner_tiers": list(package.partner_tiers or []),
        "auto_deploy": package.auto_deploy,
    }


@platform_writes("library.set_targeting")
def set_targeting(
    package: LibraryPackage, audiences: Iterable[str], partner_tiers: Iterable[str], auto_deploy: bool
) -> LibraryPackage:
    """Choose which tenants receive the package: by audience and, optionally, partner tier."""
    wanted = list(dict.fromkeys(a.strip() for a in audiences if a and a.strip()))
    if any(a not in TARGET_AUDIENCES for a in wanted):
        raise ValidationError(_("Choose audiences from the list."), field="audiences")
    tiers = list(dict.fromkeys(t.strip().lower() for t in partner_tiers if t and t.strip()))
    if any(len(t) > 40 for t in tiers):
        raise ValidationError(_("Keep each partner tier under 40 characters."), field="partner_tiers")
    if auto_deploy and not wanted:
        raise ValidationError(
            _("Choose at least one audience to deploy to automatically."), field="audiences"
        )
    before = targeting_snapshot(package)
    package.audiences = wanted
    package.partner_tiers = tiers
    package.auto_deploy = bool(auto_deploy)
    record_platform(
        "library.targeting_changed",
        package,
        {"package_id": package.id, **targeting_snapshot(package)},
        before=before,
        after=targeting_snapshot(package),
    )
    return package


def matches(package: LibraryPackage, tenant: Tenant) -> bool:
    """Whether *tenant* is in the package's target audiences (and partner tiers, when any are set)."""
    if tenant.is_platform or tenant.audience not in (package.audiences or []):
        return False
    tiers = package.partner_tiers or []
    return not tiers or (tenant.partner_tier or "").strip().lower() in tiers


def deployed_tenant_ids(package: LibraryPackage) -> set[int]:
    with unscoped("library: which tenants already have a package"):
        return set(
            db.session.scalars(
                select(LibraryDeployment.tenant_id).where(LibraryDeployment.package_id == package.id)
            )
        )


def deployment_counts() -> dict[int, int]:
    """Deployments per package, across every tenant."""
    with unscoped("platform console: deployments per library package"):
        rows = db.session.execute(
            select(LibraryDeployment.package_id, func.count()).group_by(LibraryDeployment.package_id)
        ).all()
    return {package_id: count for package_id, count in rows}


def _published_or_refuse(package: LibraryPackage) -> LibraryVersion:
    version = package.latest_published
    if version is None:
        raise ValidationError(_("Publish a version of “%(title)s” before deploying it.", title=package.title))
    return version


def find_deployment(package: LibraryPackage) -> LibraryDeployment | None:
    """The current tenant's deployment of *package*, if any."""
    return db.session.scalars(
        select(LibraryDeployment).where(LibraryDeployment.package_id == package.id)
    ).first()


def course_for(deployment: LibraryDeployment) -> Course | None:
    return db.session.scalars(select(Course).where(Course.deployment_id == deployment.id)).first()


def apply_version_details(course: Course, version: LibraryVersion) -> None:
    course.title = version.title
    course.description = version.description
    course.category = version.category
    course.tags = list(version.tags or [])
    course.language = version.language
    course.duration_minutes = version.duration_minutes
    course.library_version_id = version.id


def materialise_lessons(course: Course, version: LibraryVersion) -> None:
    for position, lesson in enumerate(version.lessons or [], start=1):
        course.lessons.append(
            Lesson(
                library_version_id=version.id,
                position=position,
                kind=lesson["kind"],
                title=lesson["title"],
                required=bool(lesson.get("required", True)),
                content=lesson_content(lesson, version),
            )
        )


def materialise_course(deployment: LibraryDeployment, version: LibraryVersion) -> Course:
    course = Course(
        status=CourseStatus.published.value,
        visibility="everyone",
        self_enroll=True,
        listed=not deployment.hidden,
        deployment_id=deployment.id,
    )
    apply_version_details(course, version)
    materialise_lessons(course, version)
    db.session.add(course)
    return course


def deploy(package: LibraryPackage, tenant: Tenant, *, automatic: bool = False) -> LibraryDeployment:
    """Give *tenant* the package's latest published version as a course; once per tenant and package."""
    if tenant.is_platform:
        raise ValidationError(
            _("Library content is deployed to tenants, not to the platform."), field="tenant_id"
        )
    version = _published_or_refuse(package)
    with as_tenant(tenant):
        existing = find_deployment(package)
        if existing is not None:
            return existing
        deployment = LibraryDeployment(package_id=package.id, version_id=version.id, automatic=automatic)
        deployment.package = package
        deployment.version = version
        db.session.add(deployment)
        db.session.flush()
        course = materialise_course(deployment, version)
        db.session.flush()
        details = {
            "package": package.slug,
            "version": version.number,
            "automatic": automatic,
            "course_id": course.id,
        }
        audit.record("library.deployed", target=deployment, after=details)
        events.emit(
            "library.deployed",
            {
                "deployment_id": deployment.id,
                "package_id": package.id,
                "version_id": version.id,
                "course_id": course.id,
                "automatic": automatic,
            },
        )
    record_platform(
        "library.deployed",
        package,
        {"package_id": package.id, "version_id": version.id, "tenant_id": tenant.id, "automatic": automatic},
        after={"tenant": tenant.slug, "version": version.number, "automatic": automatic},
    )
    return deployment


def deploy_to_matching_tenants(package: LibraryPackage) -> list[Tenant]:
    """Deploy the package to every active tenant its targeting matches that lacks it; return those tenants."""
    reached = tenants_to_deploy(package)
    for tenant in reached:
        deploy(package, tenant, automatic=True)
    return reached


def tenants_to_deploy(package: LibraryPackage) -> list[Tenant]:
    """The active tenants the package's targeting matches that do not have it yet."""
    _published_or_refuse(package)
    if not package.audiences:
        raise ValidationError(_("Choose the audiences that receive this package first."), field="audiences")
    already = deployed_tenant_ids(package)
    tenants = db.session.scalars(
        select(Tenant)
        .where(
            Tenant.is_platform.is_(False),
            Tenant.status == TenantStatus.active.value,
            Tenant.audience.in_(package.audiences),
        )
        .order_by(Tenant.id)
    ).all()
    return [t for t in tenants if t.id not in already and matches(package, t)]
