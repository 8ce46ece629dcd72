"""Author library packages, publish immutable versions, and deploy them to tenants as courses.

Packages and versions are global; a deployment and the course it materialises
belong to one tenant. Platform actions are audited in the platform tenant's
log; what happens inside a tenant is audited in that tenant's log too.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any
from urllib.parse import urlsplit

from flask_babel import gettext as _
from sqlalchemy import event, func, inspect, select
from sqlalchemy.orm import Session

from app import audit, events
from app.errors import ValidationError
from app.extensions import db
from app.inputs import parse_id
from app.learning.lesson_kinds import render_markdown
from app.learning.models import Course, CourseStatus, Lesson
from app.library.models import LibraryDeployment, LibraryPackage, LibraryVersion, VersionStatus
from app.tenancy import as_tenant, unscoped
from app.tenancy.context import platform_writes
from app.tenancy.models import Audience, Tenant, TenantStatus, utcnow

LESSON_KINDS = ("page", "video", "assessment")
TARGET_AUDIENCES = tuple(a.value for a in Audience if a is not Audience.other)
SLUG_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,98}[a-z0-9])?$")
LANGUAGE_RE = re.compile(r"^[a-z]{2,3}(?:[_-][A-Za-z]{2,4})?$")


class PublishedVersionChanged(RuntimeError):
    """Code tried to change a published (immutable) library version."""


# -- helpers ------------------------------------------------------------------------------------------------


def platform_tenant() -> Tenant:
    return db.session.scalars(select(Tenant).where(Tenant.is_platform.is_(True))).one()


def _record_platform(
    action: str,
    target: object,
    payload: dict[str, Any],
    *,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> None:
    """Audit and emit a platform action in the platform tenant, whatever context we are called from."""
    platform = platform_tenant()
    with as_tenant(platform):
        audit.record(action, target=target, before=before, after=after, tenant_id=platform.id)
        events.emit(action, payload)


def version_snapshot(version: LibraryVersion) -> dict[str, Any]:
    return {
        "number": version.number,
        "status": version.status,
        "title": version.title,
        "description": version.description,
        "language": version.language,
        "duration_minutes": version.duration_minutes,
        "category": version.category,
        "tags": list(version.tags or []),
        "lessons": len(version.lessons or []),
        "release_notes": version.release_notes or "",
    }


def _clean_tags(tags: Iterable[str] | str) -> list[str]:
    if isinstance(tags, str):
        tags = tags.split(",")
    cleaned = sorted({t.strip().lower() for t in tags if t and t.strip()})
    if any(len(t) > 50 for t in cleaned):
        raise ValidationError(_("Keep each tag under 50 characters."), field="tags")
    return cleaned


def _clean_details(
    title: str, description: str, language: str, duration_minutes: Any, category: str | None
) -> dict[str, Any]:
    title = (title or "").strip()
    if not title:
        raise ValidationError(_("Give the package a title."), field="title")
    if len(title) > 200:
        raise ValidationError(_("Keep the title under 200 characters."), field="title")
    language = (language or "en").strip()
    if not LANGUAGE_RE.match(language):
        raise ValidationError(_("Choose the language the content is written in."), field="language")
    try:
        duration = int(duration_minutes or 0)
    except (TypeError, ValueError):
        raise ValidationError(_("Enter the duration in whole minutes."), field="duration_minutes") from None
    if duration < 0 or duration > 100000:
        raise ValidationError(_("Enter the duration in whole minutes."), field="duration_minutes")
    category = (category or "").strip() or None
    if category is not None and len(category) > 100:
        raise ValidationError(_("Keep the category under 100 characters."), field="category")
    return {
        "title": title,
        "description": (description or "").strip(),
        "language": language,
        "duration_minutes": duration,
        "category": category,
    }


def clean_lessons(lessons: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Validate library lessons and return them in the stored format (raise ValidationError)."""
    cleaned: list[dict[str, Any]] = []
    for index, lesson in enumerate(lessons):
        kind = lesson.get("kind")
        if kind not in LESSON_KINDS:
            raise ValidationError(
                _("Choose a page, a video or an assessment."), field=f"lessons-{index}-kind"
            )
        title = (lesson.get("title") or "").strip()
        if not title:
            raise ValidationError(_("Give the lesson a title."), field=f"lessons-{index}-title")
        if len(title) > 200:
            raise ValidationError(
                _("Keep the title under 200 characters."),
                field=f"lessons-{index}-title",
            )
        item: dict[str, Any] = {"kind": kind, "title": title, "required": bool(lesson.get("required", True))}
        if kind == "page":
            markdown = (lesson.get("markdown") or "").strip()
            if not markdown:
                raise ValidationError(
                    _("Write the page's text."),
                    field=f"lessons-{index}-markdown",
                )
            item["markdown"] = markdown
        elif kind == "assessment":
            item.update(_clean_library_quiz(lesson, index))
        else:
            url = (lesson.get("url") or "").strip()
            parts = urlsplit(url)
            if parts.scheme != "https" or not parts.netloc:
                raise ValidationError(
                    _("Link to the video with an https:// address."),
                    field=f"lessons-{index}-url",
                )
            captions_language = (lesson.get("captions_language") or "en").strip()
            if not LANGUAGE_RE.match(captions_language):
                raise ValidationError(
                    _("Give the captions' language as a code such as “en”."),
                    field=f"lessons-{index}-captions_language",
                )
            item["url"] = url
            item["captions_language"] = captions_language
            item["transcript"] = (lesson.get("transcript") or "").strip()
        cleaned.append(item)
    return cleaned


def _clean_library_quiz(lesson: dict[str, Any], index: int) -> dict[str, Any]:
    """An assessment lesson names a quiz built under Quizzes in the console; publishing freezes a copy."""
    from app.assessments.models import Quiz
    from app.assessments.services import question_count

    if lesson.get("quiz"):  # a published version's frozen copy
        return {"quiz_id": lesson.get("quiz_id"), "quiz": lesson["quiz"]}
    raw = str(lesson.get("quiz_id") or "").strip()
    with as_tenant(platform_tenant()):
        quiz_id = parse_id(raw)
        quiz = db.session.get(Quiz, quiz_id) if quiz_id else None
        if quiz is None:
            raise ValidationError(
                _("Choose the quiz for this assessment (build it under Quizzes first)."),
                field=f"lessons-{index}-quiz_id",
            )
        if question_count(quiz) == 0:
            raise ValidationError(
                _("The quiz “%(title)s” has no questions yet.", title=quiz.title),
                field=f"lessons-{index}-quiz_id",
            )
        return {"quiz_id": quiz.id}


def _freeze_quizzes(lessons: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Copy each assessment's quiz into the version, so later edits to it never reach tenants."""
    from app.assessments.library import snapshot_quiz
    from app.assessments.services import load_quiz

    frozen = []
    with as_tenant(platform_tenant()):
        for lesson in lessons:
            if lesson["kind"] == "assessment":
                quiz = load_quiz(int(lesson["quiz_id"]))
                assert quiz is not None  # clean_lessons checked
                lesson = {**lesson, "quiz": snapshot_quiz(quiz)}
            frozen.append(lesson)
    return frozen


def _lesson_content(lesson: dict[str, Any], version: LibraryVersion | None = None) -> dict[str, Any]:
    """The Lesson.content a version's lesson becomes in a tenant."""
    if lesson["kind"] == "assessment":
        from app.assessments.library import materialise_quiz

        number = version.number if version is not None else 1
        slug = version.package.slug if version is not None else "library"
        quiz = materialise_quiz(
            lesson["quiz"],
            f"{lesson['title']} ({slug}, version {number})",
            version.id if version is not None else None,
        )
        return {"quiz_id": quiz.id}
    if lesson["kind"] == "page":
        return {"markdown": lesson["markdown"], "html": render_markdown(lesson["markdown"])}
    return {
        "url": lesson["url"],
        "captions_language": lesson.get("captions_language") or "en",
        "transcript": lesson.get("transcript") or "",
    }


# -- packages and versions -----------------------------------------------------------------------------------


def get_package(package_id: int) -> LibraryPackage | None:
    return db.session.get(LibraryPackage, package_id)


def list_packages() -> list[LibraryPackage]:
    return list(db.session.scalars(select(LibraryPackage).order_by(LibraryPackage.slug)))


@platform_writes("library.create_package")
def create_package(
    slug: str,
    title: str,
    description: str = "",
    language: str = "en",
    duration_minutes: int = 0,
    category: str | None = None,
    tags: Iterable[str] = (),
) -> LibraryPackage:
    """Create a package with an empty draft version 1."""
    slug = (slug or "").strip().lower()
    if not SLUG_RE.match(slug):
        raise ValidationError(
            _("Use lower-case letters, digits and hyphens, not starting or ending with a hyphen."),
            field="slug",
        )
    if db.session.scalars(select(LibraryPackage).where(LibraryPackage.slug == slug)).first() is not None:
        raise ValidationError(_("A package called “%(slug)s” already exists.", slug=slug), field="slug")
    details = _clean_details(title, description, language, duration_minutes, category)
    package = LibraryPackage(slug=slug, audiences=[], partner_tiers=[], auto_deploy=False)
    version = LibraryVersion(
        number=1, status=VersionStatus.draft.value, tags=_clean_tags(tags), lessons=[], **details
    )
    package.versions.append(version)
    db.session.add(package)
    db.session.flush()
    _record_platform(
        "library.package_created",
        package,
        {"package_id": package.id, "slug": package.slug},
        after=version_snapshot(version),
    )
    return package


@platform_writes("library.update_draft")
def update_draft(
    version: LibraryVersion,
    *,
    title: str,
    description: str,
    language: str,
    duration_minutes: int,
    category: str | None,
    tags: Iterable[str] | str,
    lessons: Sequence[dict[str, Any]],
) -> LibraryVersion:
    """Save changes to a draft version; published versions never change."""
    if version.is_published:
        raise ValidationError(
            _(
                "Version %(number)d is published and cannot be changed. Start a new version to edit it.",
                number=version.number,
            )
        )
    details = _clean_details(title, description, language, duration_minutes, category)
    cleaned_tags = _clean_tags(tags)
    cleaned_lessons = clean_lessons(lessons)
    before = version_snapshot(version)
    for key, value in details.items():
        setattr(version, key, value)
    version.tags = cleaned_tags
    version.lessons = cleaned_lessons
    _record_platform(
        "library.draft_saved",
        version.package,
        {"package_id": version.package_id, "version_id": version.id, "number": version.number},
        before=before,
        after=version_snapshot(version),
    )
    return version


@platform_writes("library.start_new_draft")
def start_new_draft(package: LibraryPackage) -> LibraryVersion:
    """Return the package's draft, creating version N+1 from the latest published version if there is none."""
    existing = package.draft
    if existing is not None:
        return existing
    source = package.latest_published
    number = max((v.number for v in package.versions), default=0) + 1
    version = LibraryVersion(
        number=number,
        status=VersionStatus.draft.value,
        title=source.title if source else package.slug,
        description=source.description if source else "",
        language=source.language if source else "en",
        duration_minutes=source.duration_minutes if source else 0,
        category=source.category if source else None,
        tags=list(source.tags or []) if source else [],
        lessons=[dict(lesson) for lesson in (source.lessons or [])] if source else [],
    )
    package.versions.append(version)
    db.session.flush()
    _record_platform(
        "library.draft_started",
        package,
        {"package_id": package.id, "version_id": version.id, "number": number},
        after=version_snapshot(version),
    )
    return version


def check_publishable(version: LibraryVersion) -> None:
    """Refuse, with what to fix, a version that cannot be published as it is."""
    if version.is_published:
        raise ValidationError(_("Version %(number)d is already published.", number=version.number))
    if not version.lessons:
        raise ValidationError(_("Add at least one lesson before publishing."), field="lessons")
    _clean_details(
        version.title, version.description, version.language, version.duration_minutes, version.category
    )
    clean_lessons(version.lessons)


RELEASE_NOTES_MAX = 5000


@platform_writes("library.publish")
def publish(version: LibraryVersion, release_notes: str = "") -> LibraryVersion:
    """Publish a draft with notes on what changed: from now on it is immutable and tenants can receive it."""
    check_publishable(version)
    notes = "\n".join(line.rstrip() for line in (release_notes or "").strip().splitlines())
    if len(notes) > RELEASE_NOTES_MAX:
        raise ValidationError(
            _("Keep the release notes under %(max)d characters.", max=RELEASE_NOTES_MAX),
            field="release_notes",
        )
    before = version_snapshot(version)
    version.release_notes = notes
    version.lessons = _freeze_quizzes(list(version.lessons))
    version.status = VersionStatus.published.value
    version.published_at = utcnow()
    _record_platform(
        "library.version_published",
        version.package,
        {"package_id": version.package_id, "version_id": version.id, "number": version.number},
        before=before,
        after=version_snapshot(version),
    )
    return version


# -- targeting and deployments ------------------------------------------------------------------------------


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
    _record_platform(
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


def _apply_version_details(course: Course, version: LibraryVersion) -> None:
    course.title = version.title
    course.description = version.description
    course.category = version.category
    course.tags = list(version.tags or [])
    course.language = version.language
    course.duration_minutes = version.duration_minutes
    course.library_version_id = version.id


def _materialise_lessons(course: Course, version: LibraryVersion) -> None:
    for position, lesson in enumerate(version.lessons or [], start=1):
        course.lessons.append(
            Lesson(
                library_version_id=version.id,
                position=position,
                kind=lesson["kind"],
                title=lesson["title"],
                required=bool(lesson.get("required", True)),
                content=_lesson_content(lesson, version),
            )
        )


def _materialise_course(deployment: LibraryDeployment, version: LibraryVersion) -> Course:
    course = Course(
        status=CourseStatus.published.value,
        visibility="everyone",
        self_enroll=True,
        listed=not deployment.hidden,
        deployment_id=deployment.id,
    )
    _apply_version_details(course, version)
    _materialise_lessons(course, version)
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
        course = _materialise_course(deployment, version)
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
    _record_platform(
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


# -- a tenant's deployments ---------------------------------------------------------------------------------


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
        course = _materialise_course(deployment, new_version)
    else:
        _apply_version_details(course, new_version)
        _materialise_lessons(course, new_version)
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


@event.listens_for(Session, "before_flush")
def _refuse_changes_to_published_versions(session: Session, flush_context: Any, instances: Any) -> None:
    """Defence in depth: a published version's content never changes, whatever code path tries."""
    for obj in session.dirty:
        if not isinstance(obj, LibraryVersion) or not session.is_modified(obj):
            continue
        state = inspect(obj)
        was = state.attrs.status.history
        previously = was.deleted[0] if was.deleted else obj.status
        if previously != VersionStatus.published.value:
            continue
        changed = [attr.key for attr in state.attrs if attr.history.has_changes()]
        if changed:
            raise PublishedVersionChanged(f"published library version {obj.id} changed: {', '.join(changed)}")
