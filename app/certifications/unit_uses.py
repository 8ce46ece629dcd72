"""Which organisation units certifications are addressed to (their audiences)."""

from __future__ import annotations

from sqlalchemy import select

from app.certifications.models import CertificationAudience
from app.extensions import db
from app.inputs import parse_id


def units_in_audiences(unit_ids: list[int]) -> set[int]:
    values = [str(unit_id) for unit_id in unit_ids]
    rows = db.session.scalars(
        select(CertificationAudience.value).where(
            CertificationAudience.kind == "org_unit", CertificationAudience.value.in_(values)
        )
    )
    return {unit_id for unit_id in (parse_id(value) for value in rows) if unit_id is not None}
