"""The demo's HR sync: acme's export waits as a preview with a hire, a mover, a leaver and a conflict."""

from __future__ import annotations

from sqlalchemy import select

from app.accounts import services as accounts
from app.syncs import demo
from app.syncs.models import SyncRun
from app.tenancy import as_tenant


def test_acme_has_a_preview_waiting_with_one_of_each_change(db, tenant_factory):
    tenant = tenant_factory()
    with as_tenant(tenant):
        hq = accounts.create_org_unit("Headquarters", "region")
        db.session.flush()
        sales = accounts.create_org_unit("Sales", "department", hq.id)
        db.session.flush()
        manager = accounts.create_user(
            "manager@acme.example", "Morgan Manager", job_title="Team manager", org_unit_id=sales.id
        )
        db.session.flush()
        accounts.create_user(
            "learner@acme.example",
            "Lee Learner",
            job_title="Associate",
            org_unit_id=sales.id,
            manager_id=manager.id,
        )
        accounts.create_user("author@acme.example", "Avery Author")
        demo.acme_hr_sync()
        demo.acme_hr_sync()  # loading the demo twice adds nothing
        db.session.commit()
        [run] = db.session.scalars(select(SyncRun)).all()
        assert run.status == "preview_ready"
        assert {k: v for k, v in run.counts.items() if v} == {
            "create": 1,
            "move": 1,
            "deactivate": 1,
            "conflict": 1,
            "unchanged": 1,
        }
