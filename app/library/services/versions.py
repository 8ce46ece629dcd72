"""Packages and their versions: create, edit a draft, start a new one, publish (then it never changes)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import event, inspect, select
from sqlalchemy.orm import Session

from app.errors import ValidationError
from app.extensions import db
from app.library.models import LibraryPackage, LibraryVersion, VersionStatus
from app.library.services.content import (
    SLUG_RE,
    clean_details,
    clean_lessons,
    clean_tags,
    freeze_quizzes,
    record_platform,
    version_snapshot,
)
from app.library.services.translations import clean_translations
from app.tenancy.context import platform_writes
from app.tenancy.models import utcnow


class PublishedVersionChanged(RuntimeError):
    """Code tried to change a published (immutable) library version."""


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
    details = clean_details(title, description, language, duration_minutes, category)
    package = LibraryPackage(slug=slug, audiences=[], partner_tiers=[], auto_deploy=False)
    version = LibraryVersion(
        number=1, status=VersionStatus.draft.value, tags=clean_tags(tags), lessons=[], **details
    )
    package.versions.append(version)
    db.session.add(package)
    db.session.flush()
    record_platform(
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
    translations: Mapping[str, Any] | None = None,
) -> LibraryVersion:
    """Save changes to a draft version; published versions never change.

    *translations* (see ``translations.clean_translations``) replace the draft's; None keeps them.
    """
    if version.is_published:
        raise ValidationError(
            _(
                "Version %(number)d is published and cannot be changed. Start a new version to edit it.",
                number=version.number,
            )
        )
    details = clean_details(title, description, language, duration_minutes, category)
    cleaned_tags = clean_tags(tags)
    cleaned_lessons = clean_lessons(lessons)
    cleaned_translations = clean_translations(
        version.translations if translations is None else translations, details["language"], cleaned_lessons
    )
    before = version_snapshot(version)
    for key, value in details.items():
        setattr(version, key, value)
    version.tags = cleaned_tags
    version.lessons = cleaned_lessons
    version.translations = cleaned_translations
    record_platform(
        "library.draft_saved",
        version.package,
        {"package_id": version.package_id, "version_id": version.id, "number": version.number},
        before=before,
        after=version_snapshot(version),
    )
    return version


def clean_certification(raw: dict[str, Any] | None) -> dict[str, Any] | None:
    """A certification definition a package carries, checked; None to carry none."""
    if not raw or not str(raw.get("title") or "").strip():
        return None

    def number(key: str, low: int, high: int, default: int | None) -> int | None:
        value = raw.get(key, default)
        if value in (None, ""):
            return default
        try:
            number = int(value)
        except (TypeError, ValueError):
            number = -1
        if not low <= number <= high:
            raise ValidationError(
                _("Enter between %(low)d and %(high)d.", low=low, high=high), field=f"certification_{key}"
            )
        return number

    reminders = raw.get("reminder_days") or []
    if isinstance(reminders, str):
        reminders = [part for part in reminders.replace(";", ",").split(",") if part.strip()]
    try:
        days = sorted({int(d) for d in reminders}, reverse=True)
    except (TypeError, ValueError):
        raise ValidationError(
            _("List reminders as days before expiry, such as 60, 30, 7, 1, 0."),
            field="certification_reminder_days",
        ) from None
    return {
        "title": str(raw["title"]).strip()[:200],
        "description": str(raw.get("description") or "").strip(),
        "validity_months": number("validity_months", 1, 600, None),
        "renewal_window_days": number("renewal_window_days", 0, 3650, 60),
        "grace_days": number("grace_days", 0, 3650, 0),
        "reminder_days": [d for d in days if 0 <= d <= 3650],
        "min_score": number("min_score", 0, 100, None),
        "everyone": bool(raw.get("everyone", False)),
    }


@platform_writes("library.set_certification")
def set_certification(version: LibraryVersion, raw: dict[str, Any] | None) -> LibraryVersion:
    """Make a draft carry a certification (requiring its course and quizzes), or none."""
    if version.is_published:
        raise ValidationError(
            _(
                "Version %(number)d is published and cannot be changed. Start a new version to edit it.",
                number=version.number,
            )
        )
    before = {"certification": version.certification}
    version.certification = clean_certification(raw)
    record_platform(
        "library.draft_saved",
        version.package,
        {"package_id": version.package_id, "version_id": version.id, "number": version.number},
        before=before,
        after={"certification": version.certification},
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
        certification=dict(source.certification) if source and source.certification else None,
        translations=dict(source.translations or {}) if source else {},
    )
    package.versions.append(version)
    db.session.flush()
    record_platform(
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
    clean_details(
        version.title, version.description, version.language, version.duration_minutes, version.category
    )
    clean_lessons(version.lessons)
    clean_translations(version.translations, version.language, version.lessons)


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
    version.lessons = freeze_quizzes(list(version.lessons))
    version.status = VersionStatus.published.value
    version.published_at = utcnow()
    record_platform(
        "library.version_published",
        version.package,
        {"package_id": version.package_id, "version_id": version.id, "number": version.number},
        before=before,
        after=version_snapshot(version),
    )
    return version


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
