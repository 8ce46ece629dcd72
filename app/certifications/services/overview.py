"""What a person sees of their certifications: state, expiry, and what (re)certification still needs."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import bindparam, select
from sqlalchemy.orm import selectinload

from app.accounts.models import User
from app.certifications.models import Certification, CertificationRecord, Phase, RecordState
from app.certifications.services import requirements as done
from app.extensions import db
from app.learning.models import Lesson
from app.multilingual import reading


@dataclass
class Need:
    kind: str
    title: str
    done: bool
    min_score: int | None
    course_id: int | None = None  # where to do it: the course (of a checkpoint too)
    path_id: int | None = None
    policy_id: int | None = None
    item_id: int | None = None  # the requirement's course, path, quiz, checkpoint lesson or policy


@dataclass
class Held:
    record: CertificationRecord
    certification: Certification
    needs: list[Need] = field(default_factory=list)
    phase: str | None = None  # which requirements the needs are: initial or renewal; None when nothing is due

    @property
    def open_needs(self) -> list[Need]:
        return [n for n in self.needs if not n.done]


def _phase_and_since(record: CertificationRecord) -> tuple[str | None, datetime | None]:
    state = record.state
    if state in (RecordState.not_started.value, RecordState.in_progress.value):
        return Phase.initial.value, None
    if state == RecordState.expired.value:
        return Phase.initial.value, record.renewal_opened_at or record.expires_at
    if state == RecordState.expiring.value:
        return Phase.renewal.value, record.renewal_opened_at
    return None, None


def needs_of(record: CertificationRecord, phase: str, since: datetime | None) -> list[Need]:
    cert = record.certification
    wanted = cert.requirements_of(phase)
    if phase == Phase.renewal.value and not wanted:
        wanted = cert.requirements_of(Phase.initial.value)
    needs = []
    for status in done.statuses(wanted, record.user_id, since):
        r = status.requirement
        need = Need(kind=r.kind, title=r.title, done=status.done, min_score=r.min_score, item_id=r.item_id)
        if r.kind == "course":
            need.course_id = r.item_id
        elif r.kind == "path":
            need.path_id = r.item_id
        elif r.kind == "policy":
            need.policy_id = r.item_id
        elif r.kind == "checkpoint":
            lesson = db.session.get(Lesson, r.item_id)
            need.course_id = lesson.course_id if lesson else None
        needs.append(need)
    return needs


def _records_of(wanted: Any) -> Any:
    """A person's (``user_id``) certification records matching *wanted*, soonest to expire first."""
    return (
        select(CertificationRecord)
        .where(CertificationRecord.user_id == bindparam("user_id"), wanted)
        .options(selectinload(CertificationRecord.certification).selectinload(Certification.requirements))
        .order_by(
            CertificationRecord.expires_at.is_(None), CertificationRecord.expires_at, CertificationRecord.id
        )
    )


# Built once (My learning asks on every visit): started or held records, and those in one state.
_STARTED_RECORDS = _records_of(CertificationRecord.state != RecordState.not_started.value)
_RECORDS_IN_STATE = _records_of(CertificationRecord.state == bindparam("state"))


def my_certifications(user: User, *, state: str | None = None) -> list[Held]:
    """*user*'s certifications (started or held, or only those in *state*), with what each still needs."""
    if state is None:
        records = db.session.scalars(_STARTED_RECORDS, {"user_id": user.id}).all()
    else:
        records = db.session.scalars(_RECORDS_IN_STATE, {"user_id": user.id, "state": state}).all()
    result = []
    for record in records:
        phase, since = _phase_and_since(record)
        held = Held(record=record, certification=record.certification, phase=phase)
        if phase is not None:
            held.needs = needs_of(record, phase, since)
        result.append(held)
    in_readers_language([n for held in result for n in held.needs])
    return result


def in_readers_language(needs: list[Need]) -> None:
    """Name each need's course, path, quiz, checkpoint or policy in the reader's language when translated.

    A requirement keeps its item's title from when it was chosen; a translation of the item replaces it.
    The items are read a statement per kind, whatever the number of needs.
    """
    from app.assessments.models import Quiz
    from app.learning.models import Course, LearningPath
    from app.policies.models import Policy

    models: dict[str, Any] = {
        "course": Course,
        "path": LearningPath,
        "quiz": Quiz,
        "checkpoint": Lesson,
        "policy": Policy,
    }
    wanted: dict[str, set[int]] = {}
    for need in needs:
        if need.kind in models and need.item_id is not None:
            wanted.setdefault(need.kind, set()).add(need.item_id)
    if not wanted:
        return
    found: dict[tuple[str, int], Any] = {}
    for kind, ids in wanted.items():
        model = models[kind]
        for obj in db.session.scalars(select(model).where(model.id.in_(sorted(ids)))):
            found[(kind, obj.id)] = obj
    reader = reading.reader()
    for need in needs:
        obj = found.get((need.kind, need.item_id or 0))
        if obj is not None:
            shown = reader.shown(obj, "title")
            if shown.translated:
                need.title = shown.text


def renewals_due(user: User) -> list[Held]:
    """The certifications *user* must renew now (in their renewal window), for My learning."""
    # Filtered in SQL: most people renew nothing, and then this is one statement that finds no rows.
    return my_certifications(user, state=RecordState.expiring.value)


def linkedin_url(
    record: CertificationRecord, organization: str, cert_url: str | None, cert_id: str | None
) -> str:
    """LinkedIn's "Add to profile" address for a certification, filled in."""
    params: dict[str, str | int] = {
        "startTask": "CERTIFICATION_NAME",
        "name": record.certification.title,
        "organizationName": organization,
    }
    if record.awarded_at:
        params["issueYear"] = record.awarded_at.year
        params["issueMonth"] = record.awarded_at.month
    if record.expires_at:
        params["expirationYear"] = record.expires_at.year
        params["expirationMonth"] = record.expires_at.month
    if cert_url:
        params["certUrl"] = cert_url
    if cert_id:
        params["certId"] = cert_id
    return "https://www.linkedin.com/profile/add?" + urlencode(params)


def records_of_people(user_ids: list[int]) -> dict[int, list[CertificationRecord]]:
    """Each person's started or held certifications, for a manager's team page (one statement)."""
    if not user_ids:
        return {}
    by_person: dict[int, list[CertificationRecord]] = {}
    for record in db.session.scalars(
        select(CertificationRecord)
        .where(
            CertificationRecord.user_id.in_(user_ids),
            CertificationRecord.state != RecordState.not_started.value,
        )
        .options(selectinload(CertificationRecord.certification).load_only(Certification.title))
        .order_by(CertificationRecord.expires_at.is_(None), CertificationRecord.expires_at)
    ):
        by_person.setdefault(record.user_id, []).append(record)
    return by_person
