"""Who must hold a certification (its audience), and re-evaluating the people an event concerns."""

from __future__ import annotations

from sqlalchemy import and_, false, func, or_, select

from app.accounts import org
from app.accounts.models import GroupMembership, User, UserStatus
from app.certifications.models import (
    Certification,
    CertificationAudience,
    CertificationRecord,
    CertificationStatus,
    Phase,
    Requirement,
)
from app.certifications.services import definitions, lifecycle
from app.certifications.services import requirements as done
from app.extensions import db
from app.learning.services.visibility import Viewer, viewer_for


def _audience_match(viewer: Viewer) -> object:
    conditions = []
    if viewer.group_ids:
        conditions.append(
            and_(
                CertificationAudience.kind == "group",
                CertificationAudience.value.in_([str(g) for g in viewer.group_ids]),
            )
        )
    if viewer.org_unit_ids:
        conditions.append(
            and_(
                CertificationAudience.kind == "org_unit",
                CertificationAudience.value.in_([str(u) for u in viewer.org_unit_ids]),
            )
        )
    if viewer.job_title:
        conditions.append(
            and_(CertificationAudience.kind == "job_title", CertificationAudience.value == viewer.job_title)
        )
    return or_(*conditions) if conditions else false()


def required_of(user: User) -> list[Certification]:
    """The published certifications *user* must hold (everyone, or an audience they belong to)."""
    viewer = viewer_for(user)
    in_audience = select(CertificationAudience.certification_id).where(_audience_match(viewer))  # type: ignore[arg-type]
    return list(
        db.session.scalars(
            select(Certification)
            .where(
                Certification.status == CertificationStatus.published.value,
                or_(
                    Certification.visibility == "everyone",
                    and_(Certification.visibility == "restricted", Certification.id.in_(in_audience)),
                ),
            )
            .order_by(Certification.title)
        )
    )


def assign_to_person(user: User) -> int:
    """Start every certification *user* must hold and has no record of; how many started."""
    if user.status != UserStatus.active.value:
        return 0
    started = 0
    for cert in required_of(user):
        record = lifecycle.record_of(cert.id, user.id)
        if record is None or record.state == "not_started":
            lifecycle.start(cert, user)
            started += 1
    return started


def assign_audience(cert: Certification) -> int:
    """Start *cert* for everyone in its audience who has no record of it yet; how many started."""
    if cert.status != CertificationStatus.published.value or cert.visibility == "nobody":
        return 0
    have = set(
        db.session.scalars(
            select(CertificationRecord.user_id).where(
                CertificationRecord.certification_id == cert.id, CertificationRecord.state != "not_started"
            )
        )
    )
    started = 0
    for user in audience_of(cert):
        if user.id in have:
            continue
        lifecycle.start(cert, user)
        started += 1
    return started


def audience_of(cert: Certification) -> list[User]:
    """The active people who must hold *cert*, found in SQL (groups, org-unit subtrees, job titles)."""
    statement = select(User).where(User.status == UserStatus.active.value).order_by(User.id)
    if cert.visibility == "nobody":
        return []
    if cert.visibility == "restricted":
        audiences = definitions.audiences_of(cert)
        groups = [int(g) for g in audiences["group"] if g.isdigit()]
        units = [int(u) for u in audiences["org_unit"] if u.isdigit()]
        titles = [t.casefold() for t in audiences["job_title"]]
        matches = []
        if groups:
            matches.append(
                User.id.in_(select(GroupMembership.user_id).where(GroupMembership.group_id.in_(groups)))
            )
        if units:
            matches.append(User.org_unit_id.in_(org.subtrees_select(units)))
        if titles:
            matches.append(func.lower(func.trim(User.job_title)).in_(titles))
        if not matches:
            return []
        statement = statement.where(or_(*matches))
    return list(db.session.scalars(statement))


def reevaluate_for_item(kind: str, item_id: int, user_id: int) -> list[str]:
    """Re-evaluate *user_id* in only the certifications that require this course, path, quiz, checkpoint
    or policy; a person who met every first requirement without a record is awarded too."""
    cert_ids = set(
        db.session.scalars(
            select(Requirement.certification_id).where(
                Requirement.kind == kind, Requirement.item_id == item_id
            )
        )
    )
    if not cert_ids:
        return []
    user = db.session.get(User, user_id)
    if user is None:
        return []
    moves = []
    for cert in db.session.scalars(
        select(Certification).where(Certification.id.in_(cert_ids)).order_by(Certification.id)
    ):
        record = lifecycle.record_of(cert.id, user_id)
        if record is None:
            if cert.status != CertificationStatus.published.value:
                continue
            if not done.all_met(cert.requirements_of(Phase.initial.value), user_id):
                continue
            record, _new = lifecycle.ensure_record(cert, user)
        moved = lifecycle.evaluate(record)
        if moved:
            moves.append(moved)
    return moves
