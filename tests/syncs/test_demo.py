"""The demo's HR sync: acme's export waits as a preview with a hire, a mover, a leaver and a conflict."""

from __future__ import annotations

import sys
import threading
from pathlib import Path

from sqlalchemy import select

from app.accounts import services as accounts
from app.syncs import demo
from app.syncs.models import SyncChange, SyncRun, SyncSource
from app.syncs.services import runs, sources
from app.tenancy import as_tenant

ROOT = Path(__file__).resolve().parents[2]


def test_acme_has_a_preview_waiting_with_one_of_each_change(db, tenant_factory, user_factory, client_for):
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
        [run] = db.session.scalars(select(SyncRun)).all()  # the BambooHR source is not read at demo time
        assert run.status == "preview_ready"
        assert {k: v for k, v in run.counts.items() if v} == {
            "create": 1,
            "move": 1,
            "deactivate": 1,
            "conflict": 1,
            "unchanged": 1,
        }
    admin = user_factory(tenant, roles=("tenant_admin",))
    page = client_for(tenant, admin).get(f"/admin/integrations/syncs/runs/{run.id}").get_data(as_text=True)
    assert "1 person is unchanged." in page  # not "1 people are unchanged."


def test_acme_bamboohr_source_previews_the_demo_hr_api(app, db, tenant_factory):
    from werkzeug.serving import make_server

    sys.path.insert(0, str(ROOT / "scripts"))
    try:
        import demo_hr_api
    finally:
        sys.path.remove(str(ROOT / "scripts"))
    tenant = tenant_factory()
    with as_tenant(tenant):
        accounts.create_user("learner@acme.example", "Lee Learner", job_title="Associate")
        accounts.create_user("auditor@acme.example", "Ari Auditor")
        demo.acme_hr_sync()
        db.session.commit()
        source = db.session.scalars(select(SyncSource).where(SyncSource.name == demo.BAMBOOHR_NAME)).one()
        assert source.kind == "bamboohr" and source.schedule == "daily"
        assert source.config["base_url"] == "http://127.0.0.1:8091"
        assert sources.source_secret(source) == demo_hr_api.API_KEY
        assert bytes(source.secret_sealed).find(b"demo-hr-key") == -1
        # Nothing reads the demo HR API while the demo loads: it may not be running.
        assert db.session.scalars(select(SyncRun).where(SyncRun.source_id == source.id)).first() is None

    httpd = make_server("127.0.0.1", 0, demo_hr_api.create_app())
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    saved = app.config.get("OUTBOUND_ALLOWED_HOSTS")
    app.config["OUTBOUND_ALLOWED_HOSTS"] = "127.0.0.1"
    try:
        with as_tenant(tenant):
            source = db.session.merge(source)
            source.config = {**source.config, "base_url": f"http://127.0.0.1:{httpd.server_port}"}
            run = runs.start_preview(source)
            db.session.commit()
            assert run.status == "preview_ready", run.error
            assert run.rows_read == 9
            changes = {
                c.label: c for c in db.session.scalars(select(SyncChange).where(SyncChange.run_id == run.id))
            }
            assert changes["Riley Chen"].action == "create"
            assert changes["Lee Learner"].after["job_title"] == "Support engineer"
            assert changes["Lee Learner"].after["org_unit"] == "Boston / Engineering"
            assert changes["Ari Auditor"].action == "deactivate"
    finally:
        app.config["OUTBOUND_ALLOWED_HOSTS"] = saved
        httpd.shutdown()
