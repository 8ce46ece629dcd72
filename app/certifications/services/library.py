"""Certifications the platform's library carries: a tenant that receives a package gets its certification,
requiring the package's course and its quizzes (what the tenant added to it stays on upgrade)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from app.certifications.models import Certification, CertificationStatus, Phase, RequirementKind
from app.certifications.services import definitions
from app.extensions import db
from app.learning.models import Course
from app.library.models import LibraryVersion

# What the library writes on upgrade; the tenant's own additions (paths, checkpoints, policies) stay.
LIBRARY_KINDS = (RequirementKind.course.value, RequirementKind.quiz.value)


def _fields(definition: dict[str, Any], title: str) -> dict[str, Any]:
    months = definition.get("validity_months")
    return {
        "title": title,
        "description": definition.get("description") or "",
        "validity": "months" if months else "forever",
        "validity_months": months,
        "renewal_window_days": definition.get("renewal_window_days") or 0,
        "grace_days": definition.get("grace_days") or 0,
        "reminder_days": definition.get("reminder_days") or [],
    }


def materialise(version_id: int, course_id: int) -> Certification | None:
    """Create or update the certification *version* carries in this tenant, over its deployed course."""
    version = db.session.get(LibraryVersion, version_id)
    course = db.session.get(Course, course_id)
    definition = version.certification if version is not None else None
    if not definition or course is None or version is None:
        return None
    package_versions = select(LibraryVersion.id).where(LibraryVersion.package_id == version.package_id)
    cert = db.session.scalars(
        select(Certification).where(Certification.library_version_id.in_(package_versions))
    ).first()
    title = definition["title"]
    if (
        cert is None
        and db.session.scalars(select(Certification.id).where(Certification.title == title)).first()
    ):
        title = f"{title} ({version.package.slug})"  # the tenant has its own by that name
    if cert is None:
        cert = definitions.create_certification(
            _fields(definition, title),
            visibility="everyone" if definition.get("everyone") else "nobody",
            library_version_id=version.id,
        )
    else:
        definitions.update_certification(
            cert,
            _fields(definition, cert.title),
            visibility=cert.visibility,
            audiences=definitions.audiences_of(cert),
        )
        cert.library_version_id = version.id
    quizzes = [
        int(lesson.content["quiz_id"])
        for lesson in course.lessons
        if lesson.kind == "assessment" and str((lesson.content or {}).get("quiz_id") or "").isdigit()
    ]
    kept = [
        {"kind": r.kind, "item_id": r.item_id, "min_score": r.min_score}
        for r in cert.requirements_of(Phase.initial.value)
        if r.kind not in LIBRARY_KINDS
    ]
    definitions.set_requirements(
        cert,
        Phase.initial.value,
        [{"kind": "course", "item_id": course.id}]
        + [{"kind": "quiz", "item_id": q, "min_score": definition.get("min_score")} for q in quizzes]
        + kept,
    )
    if cert.status != CertificationStatus.published.value:
        definitions.publish(cert)
    return cert
