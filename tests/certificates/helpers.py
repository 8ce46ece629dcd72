"""Awards as the certifications feature announces them (the contract's events), for certificate tests."""

from __future__ import annotations

import itertools
import time
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from app import events
from app.certificates.models import Certificate
from app.tenancy import as_tenant
from app.tenancy.models import utcnow
from tests.conftest import REDIS_URL

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
    with as_tenant(tenant):
        payload = award_payload(user, **fields)  # the user may need reloading, as a row of this tenant
    emit(db, tenant, "certification.awarded", payload)
    return certificate_of(db, tenant, payload["record_id"], payload["cycle"])


def certificate_of(db: Any, tenant: Any, record_id: int, cycle: int = 1) -> Certificate:
    """The award's certificate once issued: at once when jobs run inline, else when the worker is done."""
    deadline = time.monotonic() + 90
    while True:
        with as_tenant(tenant):
            found = db.session.scalars(
                select(Certificate)
                .where(Certificate.record_id == record_id, Certificate.cycle == cycle)
                .execution_options(populate_existing=True)
            ).one()
            db.session.expunge(found)
            db.session.rollback()
        if found.pdf_sha256 is not None or not REDIS_URL:
            return found
        assert time.monotonic() < deadline, "the certificates worker did not issue the certificate"
        time.sleep(0.2)
