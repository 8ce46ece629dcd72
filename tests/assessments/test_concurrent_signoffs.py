"""Two managers, or one double click, signing the same checkpoint at once: one sign-off, no error page."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from app.assessments.models import CheckpointSignoff
from app.audit.models import AuditEvent
from app.events import OutboxEvent
from app.tenancy import as_tenant
from tests.assessments.test_checkpoints import ITEMS, _pass_quiz, kitchen  # noqa: F401 (the fixture)
from tests.concurrency import LiveClient, in_parallel

# SQLite serialises writers (and may answer "database is locked" under load): the races are PostgreSQL's.
pytestmark = pytest.mark.postgres

PARALLEL = 10


def test_ten_parallel_sign_offs_record_one_and_all_land_on_the_sign_off_list(db, kitchen, live_port):  # noqa: F811
    k = kitchen
    _pass_quiz(db, k)
    client = LiveClient(live_port, k["tenant"])
    client.sign_in(k["manager"].email)
    path = f"/team/checkpoints/{k['enrollment_id']}/{k['checkpoint']}"
    form = {
        "csrf_token": client.csrf_token(path),
        "items": list(ITEMS),
        "observed_on": date.today().isoformat(),
        "note": "",
    }
    responses = in_parallel(PARALLEL, lambda _: client.post(path, form))
    # The first to commit is redirected to the list; a request that arrives after it sees the sign-off.
    assert all(r.status == 302 or (r.status == 200 and "Signed off by" in r.text) for r in responses), [
        (r.status, r.text[:300]) for r in responses
    ]
    with as_tenant(k["tenant"]):
        signoffs = db.session.scalar(select(func.count(CheckpointSignoff.id)))
        audited = db.session.scalar(
            select(func.count(AuditEvent.id)).where(AuditEvent.action == "checkpoint.signed")
        )
        events = db.session.scalar(
            select(func.count(OutboxEvent.id)).where(OutboxEvent.type == "checkpoint.signed")
        )
    assert (signoffs, audited, events) == (1, 1, 1)
    again = client.get(path)
    assert again.status == 200 and "Signed off by" in again.text
