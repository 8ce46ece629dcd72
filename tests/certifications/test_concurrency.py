"""Run at the same moment, the sweep and a replayed event make one transition, one audit entry, one event."""

from __future__ import annotations

import contextvars
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from app.accounts.models import User
from app.audit.models import AuditEvent
from app.certifications.models import Certification, CertificationRecord, Transition
from app.certifications.services import definitions, lifecycle
from app.events import OutboxEvent
from app.tenancy import as_tenant
from tests.certifications.conftest import learn_and_sign
from tests.concurrency import in_parallel
from workers.runner import run_job

# SQLite serialises writers: the races are PostgreSQL's (row locks and ON CONFLICT).
pytestmark = pytest.mark.postgres


def _as_job(app: Any, tenant_id: int, path: str, *args: Any) -> Any:
    """Run *path* as the worker does (its own session, tenant restored, one commit), in a fresh context."""

    def run() -> Any:
        with app.app_context():
            return run_job(tenant_id, path, list(args), {})

    return contextvars.Context().run(run)


def _counts(db: Any, tenant: Any, event_type: str, action: str) -> tuple[int, int]:
    with as_tenant(tenant):
        events = db.session.scalar(select(func.count(OutboxEvent.id)).where(OutboxEvent.type == event_type))
        audited = db.session.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.action == action))
    return events, audited


def test_six_sweeps_at_once_move_an_award_into_its_window_once(
    app, db, tenant_factory, user_factory, food_handler
):
    tenant = tenant_factory()
    holder = user_factory(tenant, "hana@bistro.example", full_name="Hana Holder")
    course = food_handler(tenant)
    with as_tenant(tenant):
        record, _new = lifecycle.ensure_record(
            db.session.get(Certification, course["cert"]), db.session.get(User, holder.id)
        )
        expires = datetime.now(UTC) + timedelta(days=90)
        lifecycle.award_manually(
            record, by=None, note="", awarded_at=expires - timedelta(days=730), expires_at=expires
        )
        db.session.commit()
        record_id = record.id
    in_window = (expires - timedelta(days=29, hours=12)).isoformat()  # past the 30-day reminder too
    results = in_parallel(
        6, lambda _: _as_job(app, tenant.id, "app.certifications.jobs:sweep_tenant", in_window)
    )
    assert sorted(r["expiring"] for r in results) == [0, 0, 0, 0, 0, 1]
    assert sum(r["reminders"] for r in results) == 1  # the 30-day reminder, queued once
    assert _counts(db, tenant, "certification.expiring", "certification.expiring") == (1, 1)
    with as_tenant(tenant):
        moves = db.session.scalar(
            select(func.count(Transition.id)).where(
                Transition.record_id == record_id, Transition.to_state == "expiring"
            )
        )
    assert moves == 1


def test_an_event_replayed_six_times_at_once_awards_once(app, db, tenant_factory, user_factory, gated_course):
    tenant = tenant_factory()
    manager = user_factory(tenant, roles=("manager",))
    learner = user_factory(tenant, "lou@bistro.example", manager_id=manager.id)
    course = gated_course(tenant)
    learn_and_sign(db, tenant, learner, manager, course)  # done before the certification exists
    with as_tenant(tenant):
        cert = definitions.create_certification({"title": "Food Handler", "validity_months": 24})  # nobody
        definitions.set_requirements(cert, "initial", [{"kind": "course", "item_id": course["course"]}])
        definitions.publish(cert)
        db.session.commit()
    path = "app.certifications.services.people:reevaluate_for_item"
    results = in_parallel(6, lambda _: _as_job(app, tenant.id, path, "course", course["course"], learner.id))
    assert sorted(len(r) for r in results) == [0, 0, 0, 0, 0, 1]
    assert _counts(db, tenant, "certification.awarded", "certification.awarded") == (1, 1)
    with as_tenant(tenant):
        records = db.session.scalars(select(CertificationRecord)).all()
    assert [(r.user_id, r.state, r.cycle) for r in records] == [(learner.id, "certified", 1)]
