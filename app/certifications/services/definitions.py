"""Write certifications: details, validity, renewal, reminders, audience, requirements; publish, archive."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select

from app import audit, events
from app.assessments.models import Quiz
from app.certifications.models import (
    Certification,
    CertificationAudience,
    CertificationStatus,
    Phase,
    Requirement,
    RequirementKind,
    Validity,
)
from app.errors import ValidationError
from app.extensions import db
from app.learning.models import Course, LearningPath, Lesson
from app.learning.services.courses import audience_keys, sync_audiences
from app.learning.services.courses import audiences_of as audiences_of  # the certification pages read them
from app.policies.models import Policy
from app.tenancy.models import utcnow

CHECKPOINT_LESSON = "checkpoint"  # app.assessments' practical checkpoint lesson kind


def _int_in(value: Any, low: int, high: int, field: str, message: str) -> int:
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        raise ValidationError(message, field=field) from None
    if not low <= number <= high:
        raise ValidationError(message, field=field)
    return number


def clean_reminders(raw: Any) -> list[int]:
    """Days before expiry as a sorted list (largest first) from "60, 30, 7, 1, 0" or a list."""
    parts = raw.replace(";", ",").split(",") if isinstance(raw, str) else list(raw or [])
    days = set()
    for part in parts:
        if str(part).strip() == "":
            continue
        days.add(
            _int_in(
                part,
                0,
                3650,
                "reminder_days",
                _("List reminders as days before expiry, such as 60, 30, 7, 1, 0."),
            )
        )
    return sorted(days, reverse=True)


def _clean(fields: dict[str, Any]) -> dict[str, Any]:
    title = (fields.get("title") or "").strip()
    if not title:
        raise ValidationError(_("Give the certification a title."), field="title")
    if len(title) > 200:
        raise ValidationError(_("Keep the title under 200 characters."), field="title")
    validity = fields.get("validity") or Validity.months.value
    if validity not in {v.value for v in Validity}:
        raise ValidationError(_("Choose how long the certification is valid."), field="validity")
    months = valid_until = None
    if validity == Validity.months.value:
        months = _int_in(
            fields.get("validity_months"), 1, 600, "validity_months", _("Enter between 1 and 600 months.")
        )
    elif validity == Validity.fixed_date.value:
        valid_until = fields.get("valid_until")
        if isinstance(valid_until, str):
            try:
                valid_until = date.fromisoformat(valid_until.strip())
            except ValueError:
                valid_until = None
        if not isinstance(valid_until, date):
            raise ValidationError(_("Enter the date it is valid until."), field="valid_until")
        if valid_until < utcnow().date():
            # Everyone awarded it would be expired at once.
            raise ValidationError(
                _("The date it is valid until has passed: choose today or a later date."), field="valid_until"
            )
    return {
        "title": title,
        "description": (fields.get("description") or "").strip(),
        "validity": validity,
        "validity_months": months,
        "valid_until": valid_until,
        "renewal_window_days": _int_in(
            fields.get("renewal_window_days", 60) or 0,
            0,
            3650,
            "renewal_window_days",
            _("Enter between 0 and 3650 days."),
        ),
        "grace_days": _int_in(
            fields.get("grace_days", 0) or 0, 0, 3650, "grace_days", _("Enter between 0 and 3650 days.")
        ),
        "reminder_days": clean_reminders(fields.get("reminder_days", "")),
    }


def _set_audiences(cert: Certification, visibility: str, audiences: dict[str, list[str]]) -> None:
    if visibility not in ("everyone", "restricted", "nobody"):
        raise ValidationError(_("Choose who must hold the certification."), field="visibility")
    wanted = audience_keys(audiences)
    if visibility == "restricted" and not wanted:
        raise ValidationError(
            _("Name at least one group, organisation unit or job title, or choose everyone."),
            field="visibility",
        )
    cert.visibility = visibility
    sync_audiences(cert, wanted, visibility == "restricted", CertificationAudience)


def _title_taken(title: str, cert_id: int | None = None) -> bool:
    statement = select(Certification.id).where(Certification.title == title)
    if cert_id is not None:
        statement = statement.where(Certification.id != cert_id)
    return db.session.scalars(statement).first() is not None


def create_certification(
    fields: dict[str, Any],
    *,
    visibility: str = "nobody",
    audiences: dict[str, list[str]] | None = None,
    library_version_id: int | None = None,
) -> Certification:
    """Create a draft certification."""
    cleaned = _clean(fields)
    if _title_taken(cleaned["title"]):
        raise ValidationError(
            _("A certification called “%(name)s” already exists.", name=cleaned["title"]), field="title"
        )
    cert = Certification(
        status=CertificationStatus.draft.value, library_version_id=library_version_id, **cleaned
    )
    db.session.add(cert)
    _set_audiences(cert, visibility, audiences or {})
    db.session.flush()
    audit.record("certification.created", target=cert, after={"title": cert.title})
    return cert


def update_certification(
    cert: Certification, fields: dict[str, Any], *, visibility: str, audiences: dict[str, list[str]]
) -> Certification:
    """Change a certification's details, validity, renewal and reminders, and who must hold it."""
    cleaned = _clean(fields)
    if _title_taken(cleaned["title"], cert.id):
        raise ValidationError(
            _("A certification called “%(name)s” already exists.", name=cleaned["title"]), field="title"
        )
    before = {key: _plain(getattr(cert, key)) for key in cleaned}
    for key, value in cleaned.items():
        setattr(cert, key, value)
    _set_audiences(cert, visibility, audiences)
    db.session.flush()
    after = {key: _plain(getattr(cert, key)) for key in cleaned}
    changed = sorted(key for key in cleaned if before[key] != after[key])
    audit.record(
        "certification.updated",
        target=cert,
        before={k: before[k] for k in changed},
        after={**{k: after[k] for k in changed}, "title": cert.title, "visibility": visibility},
    )
    return cert


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value


# ---------------------------------------------------------------- requirements


def item_title(kind: str, item_id: int) -> str | None:
    """The title of the tenant's course, path, quiz, checkpoint lesson or policy *item_id*, or None."""
    if kind == RequirementKind.course.value:
        course = db.session.get(Course, item_id)
        return course.title if course else None
    if kind == RequirementKind.path.value:
        path = db.session.get(LearningPath, item_id)
        return path.title if path else None
    if kind == RequirementKind.quiz.value:
        quiz = db.session.get(Quiz, item_id)
        return quiz.title if quiz else None
    if kind == RequirementKind.checkpoint.value:
        lesson = db.session.get(Lesson, item_id)
        if lesson is None or lesson.kind != CHECKPOINT_LESSON:
            return None
        return f"{lesson.course.title}: {lesson.title}"
    if kind == RequirementKind.policy.value:
        policy = db.session.get(Policy, item_id)
        return policy.title if policy else None
    return None


def set_requirements(cert: Certification, phase: str, items: list[dict[str, Any]]) -> list[Requirement]:
    """Replace what *phase* (initial or renewal) asks for: a list of {kind, item_id, min_score}."""
    if phase not in {p.value for p in Phase}:
        raise ValidationError(_("Choose initial or renewal requirements."), field="phase")
    wanted: list[tuple[str, int, int | None, str]] = []
    seen = set()
    for item in items:
        kind = str(item.get("kind") or "")
        if kind not in {k.value for k in RequirementKind}:
            raise ValidationError(_("Choose what kind of requirement each one is."), field="requirements")
        try:
            item_id = int(item.get("item_id") or 0)
        except (TypeError, ValueError):
            item_id = 0
        title = item_title(kind, item_id) if item_id > 0 else None
        if title is None:
            raise ValidationError(_("Choose each requirement from the list."), field="requirements")
        min_score = None
        if kind == RequirementKind.quiz.value and str(item.get("min_score") or "").strip():
            min_score = _int_in(
                item.get("min_score"), 0, 100, "requirements", _("A minimum score is between 0 and 100.")
            )
        if (kind, item_id) in seen:
            continue
        seen.add((kind, item_id))
        wanted.append((kind, item_id, min_score, title))
    if phase == Phase.initial.value and not wanted and cert.status == CertificationStatus.published.value:
        raise ValidationError(
            _("A published certification needs at least one requirement."), field="requirements"
        )
    for old in cert.requirements_of(phase):
        cert.requirements.remove(old)
    db.session.flush()  # the old rows go before the new ones take their keys
    for position, (kind, item_id, min_score, title) in enumerate(wanted):
        cert.requirements.append(
            Requirement(
                phase=phase,
                kind=kind,
                item_id=item_id,
                min_score=min_score,
                title=title[:200],
                position=position,
            )
        )
    db.session.flush()
    audit.record(
        "certification.requirements_set",
        target=cert,
        after={"title": cert.title, "phase": phase, "requirements": [f"{k}:{t}" for k, _i, _m, t in wanted]},
    )
    return cert.requirements_of(phase)


# ---------------------------------------------------------------- status


def publish(cert: Certification) -> Certification:
    """Publish a certification: people can earn it, and its audience is asked to."""
    if cert.status == CertificationStatus.published.value:
        return cert
    if not cert.requirements_of(Phase.initial.value):
        raise ValidationError(_("Add at least one requirement before publishing."), field="requirements")
    cert.status = CertificationStatus.published.value
    audit.record("certification.published", target=cert, after={"title": cert.title})
    events.emit("certification.published", {"certification_id": cert.id, "title": cert.title})
    return cert


def archive(cert: Certification) -> Certification:
    """Archive a certification: nobody new earns it; records already held stay on record and still expire."""
    if cert.status == CertificationStatus.archived.value:
        return cert
    cert.status = CertificationStatus.archived.value
    audit.record("certification.archived", target=cert, after={"title": cert.title})
    return cert
