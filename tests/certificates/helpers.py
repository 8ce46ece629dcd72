"""Awards as the certifications feature announces them (the contract's events), for certificate tests."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from app import events
from app.certificates.models import Certificate
from app.tenancy import as_tenant
from app.tenancy.models import utcnow

_record_ids = itertools.count(1000)


def award_payload(user: Any, **fields: Any) -> dict[str, Any]:
    awarded: datetime = fields.pop("awarded_at", utcnow() - timedelta(days=1))
    expires = fields.pop("expires_at", awarded + timedelta(days=730))
    return {
        "record_id": fields.pop("record_id", next(_record_ids)),
        "user_id": user.id,
        "certification_id": fields.pop("certification_id", 7),
        "certification_title": fields.pop("title", "Food Handler"),
        "cycle": fields.pop("cycle", 1),
        "awarded_at": awarded.isoformat(),
        "expires_at": expires.isoformat() if expires else None,
        "reason": fields.pop("reason", None),
    }


def emit(db: Any, tenant: Any, event_type: str, payload: dict[str, Any]) -> None:
    with as_tenant(tenant):
        events.emit(event_type, payload)
        db.session.commit()


def award(db: Any, tenant: Any, user: Any, **fields: Any) -> Certificate:
    """Announce an award and return its certificate (issued at once: jobs run inline without Redis)."""
    payload = award_payload(user, **fields)
    emit(db, tenant, "certification.awarded", payload)
    return certificate_of(db, tenant, payload["record_id"], payload["cycle"])


def certificate_of(db: Any, tenant: Any, record_id: int, cycle: int = 1) -> Certificate:
    with as_tenant(tenant):
        found = db.session.scalars(
            select(Certificate)
            .where(Certificate.record_id == record_id, Certificate.cycle == cycle)
            .execution_options(populate_existing=True)
        ).one()
        db.session.expunge(found)
        return found
