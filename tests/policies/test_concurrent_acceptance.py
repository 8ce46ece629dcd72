"""Accepting a policy from several requests at once records one acceptance; every request sees it."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import func, select

from app.audit.models import AuditEvent
from app.events import OutboxEvent
from app.policies.demo import code_of_conduct
from app.policies.models import Acknowledgement
from app.tenancy import as_tenant
from tests.concurrency import LiveClient, in_parallel

# SQLite serialises writers (and may answer "database is locked" under load): the races are PostgreSQL's.
pytestmark = pytest.mark.postgres


def test_ten_parallel_acceptances_record_one_and_all_see_it_accepted(
    db, tenant_factory, user_factory, live_port
):
    tenant = tenant_factory()
    with as_tenant(tenant):
        policy_id = code_of_conduct().id
        db.session.commit()
    email = f"{uuid.uuid4().hex[:8]}@example.com"
    user_factory(tenant, email, full_name="Lee Learner")
    client = LiveClient(live_port, tenant)
    client.sign_in(email)
    url = f"/policies/{policy_id}"
    form = {"csrf_token": client.csrf_token(url), "accept": "y", "signature": "Lee Learner"}
    responses = in_parallel(10, lambda _: client.post(url, form))
    assert [r.status for r in responses] == [302] * 10, [(r.status, r.text[:300]) for r in responses]
    with as_tenant(tenant):
        acknowledgements = db.session.scalar(select(func.count(Acknowledgement.id)))
        audited = db.session.scalar(
            select(func.count(AuditEvent.id)).where(AuditEvent.action == "policy.acknowledged")
        )
        events = db.session.scalar(
            select(func.count(OutboxEvent.id)).where(OutboxEvent.type == "policy.acknowledged")
        )
    assert (acknowledgements, audited, events) == (1, 1, 1)
    page = client.get(url)
    assert page.status == 200 and "You accepted version 2" in page.text
