"""Enrolment rules can assign a certification: "everyone at a Midwest location must hold Food Handler"."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.accounts.models import User
from app.certifications.models import Certification, CertificationRecord, CertificationStatus
from app.certifications.services import lifecycle
from app.extensions import db
from app.learning.services.rules import RuleTarget, register_target


def _options() -> list[tuple[int, str]]:
    rows = db.session.execute(
        select(Certification.id, Certification.title)
        .where(Certification.status == CertificationStatus.published.value)
        .order_by(Certification.title)
    )
    return [(row.id, row.title) for row in rows]


def _assign(user: User, cert: Certification, due: date | None, _rule: Any) -> bool:
    record = lifecycle.record_of(cert.id, user.id)
    if record is not None and record.state != "not_started":
        return False
    lifecycle.start(cert, user, due_on=due)
    return True


def _holders(cert: Certification) -> set[int]:
    return set(
        db.session.scalars(
            select(CertificationRecord.user_id).where(
                CertificationRecord.certification_id == cert.id, CertificationRecord.state != "not_started"
            )
        )
    )


def register() -> None:
    register_target(
        RuleTarget(
            kind="certification",
            label=_l("Certification: %(title)s"),
            options=_options,
            get=lambda item_id: db.session.get(Certification, item_id),
            title=lambda cert: cert.title,
            is_live=lambda cert: cert.status == CertificationStatus.published.value,
            assign=_assign,
            holders=_holders,
        )
    )
