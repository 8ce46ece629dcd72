"""Which organisation units the catalog names: course and path audiences, and enrolment rules' conditions."""

from __future__ import annotations

from sqlalchemy import select

from app.extensions import db
from app.inputs import parse_id
from app.learning.models import Audience, EnrollmentRule


def units_in_audiences(unit_ids: list[int]) -> set[int]:
    values = [str(unit_id) for unit_id in unit_ids]
    rows = db.session.scalars(
        select(Audience.value).where(Audience.kind == "org_unit", Audience.value.in_(values))
    )
    return {unit_id for unit_id in (parse_id(value) for value in rows) if unit_id is not None}


def units_in_rules(unit_ids: list[int]) -> set[int]:
    wanted = set(unit_ids)
    found: set[int] = set()
    for conditions in db.session.scalars(select(EnrollmentRule.conditions)):
        for condition in conditions or []:
            unit_id = parse_id(str(condition.get("value"))) if condition.get("field") == "org_unit" else None
            if unit_id in wanted:
                found.add(unit_id)
    return found
