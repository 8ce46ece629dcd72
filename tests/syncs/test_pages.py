"""The HR sync pages: add a source, preview an upload, apply it, roll it back; bad input refused clearly."""

from __future__ import annotations

import io
import re
import time
from typing import Any

import pytest
from sqlalchemy import select

from app.accounts.models import User
from app.syncs.models import SyncRun, SyncSource
from app.tenancy import as_tenant
from tests.conftest import csrf_token


def _admin(tenant_factory: Any, user_factory: Any, client_for: Any) -> tuple[Any, Any]:
    tenant = tenant_factory()
    admin = user_factory(tenant, "admin@example.com", roles=("tenant_admin",), full_name="Ada Admin")
    return tenant, client_for(tenant, admin)


def _add_source(client: Any, **overrides: Any) -> Any:
    data = {
        "csrf_token": csrf_token(client, "/admin/integrations/syncs/new"),
        "name": "Payroll export",
        "kind": "csv",
        "schedule": "daily",
        "schedule_hour": "3",
        "max_deactivate_percent": "5",
        "max_change_percent": "20",
        "terminated_values": "terminated",
        "enabled": "y",
        "map_employee_id": "Employee #",
        "map_email": "Work email",
        "map_full_name": "Name",
        "map_job_title": "Title",
        "map_location": "Site",
        "map_status": "Status",
        "map_attributes": "shift = Shift",
        **overrides,
    }
    return client.post("/admin/integrations/syncs/new", data=data)


FILE = (
    "Employee #,Work email,Name,Title,Site,Status,Shift\n"
    "P1,pia@example.com,Pia Picker,Picker,Depot North,active,night\n"
    ",,Nameless,,,active,\n"
)


def test_an_admin_adds_a_source_previews_a_file_applies_it_and_rolls_it_back(
    db, tenant_factory, user_factory, client_for
):
    tenant, client = _admin(tenant_factory, user_factory, client_for)
    response = _add_source(client)
    assert response.status_code == 302, response.get_data(as_text=True)
    source_path = response.headers["Location"]
    page = client.get(source_path).get_data(as_text=True)
    assert "Preview now" in page and 'value="Employee #"' in page and "shift = Shift" in page
    panel = client.get("/admin/integrations").get_data(as_text=True)
    assert 'id="syncs-heading"' in panel and "Payroll export" in panel

    token = csrf_token(client, source_path)
    response = client.post(
        f"{source_path}/preview",
        data={"csrf_token": token, "upload": (io.BytesIO(FILE.encode()), "people.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    run_path = response.headers["Location"]
    page = client.get(run_path).get_data(as_text=True)
    assert "Preview ready" in page and "New people (1)" in page and "Pia Picker" in page
    assert "Rejected rows (1)" in page and "no employee ID and no email" in page
    assert "night" in page and "Depot North" in page
    errors = client.get(f"{run_path}/errors.csv")
    assert errors.status_code == 200 and errors.mimetype == "text/csv"
    assert "Nameless" in errors.get_data(as_text=True)

    progress = client.get(f"{run_path}/progress").get_data(as_text=True)
    assert 'id="run-progress"' in progress and "Apply these changes" in progress
    response = client.post(f"{run_path}/apply", data={"csrf_token": csrf_token(client, run_path)})
    assert response.status_code == 302
    page = client.get(run_path).get_data(as_text=True)
    assert "Applied" in page and "Roll back this run" in page
    with as_tenant(tenant):
        pia = db.session.scalars(select(User).where(User.email == "pia@example.com")).one()
        assert pia.attributes == {"shift": "night"} and pia.job_title == "Picker"
    response = client.post(f"{run_path}/roll-back", data={"csrf_token": csrf_token(client, run_path)})
    assert response.status_code == 302
    page = client.get(run_path).get_data(as_text=True)
    assert "Rolled back" in page and "Roll back this run" not in page
    with as_tenant(tenant):
        db.session.expire_all()
        assert (
            db.session.scalars(select(User.status).where(User.email == "pia@example.com")).one()
            == "deactivated"
        )
    audit = client.get("/admin/audit").get_data(as_text=True)
    assert "rolled back run" in audit and "added the HR source" in audit


def test_bad_source_settings_are_named_and_what_was_typed_is_kept(
    db, tenant_factory, user_factory, client_for
):
    tenant, client = _admin(tenant_factory, user_factory, client_for)
    response = _add_source(
        client,
        name="",
        max_deactivate_percent="lots",
        map_employee_id="",
        map_email="",
        map_attributes="no equals sign",
        map_job_title="Role",
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Write each custom attribute as" in page and 'value="Role"' in page
    response = _add_source(client, name="", max_deactivate_percent="lots", map_employee_id="", map_email="")
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert (
        "Give the source a name." in page
        and "between 0 and 100" in page
        and "people are matched by them" in page
    )
    with as_tenant(tenant):
        assert db.session.scalars(select(SyncSource)).all() == []


def test_a_preview_without_a_file_fails_with_the_reason_and_a_second_run_waits(
    db, tenant_factory, user_factory, client_for
):
    _tenant, client = _admin(tenant_factory, user_factory, client_for)
    source_path = _add_source(client).headers["Location"]
    response = client.post(f"{source_path}/preview", data={"csrf_token": csrf_token(client, source_path)})
    run_path = response.headers["Location"]
    page = client.get(run_path).get_data(as_text=True)
    assert "Failed" in page and "Upload a CSV file" in page
    # A run that is not live cannot be cancelled; the refusal says why.
    response = client.post(f"{run_path}/cancel", data={"csrf_token": csrf_token(client, run_path)})
    assert "nothing to cancel" in client.get(response.headers["Location"]).get_data(as_text=True)


def test_a_previewed_run_can_be_cancelled_and_is_then_not_applied(
    db, tenant_factory, user_factory, client_for
):
    tenant, client = _admin(tenant_factory, user_factory, client_for)
    source_path = _add_source(client).headers["Location"]
    response = client.post(
        f"{source_path}/preview",
        data={"csrf_token": csrf_token(client, source_path), "upload": (io.BytesIO(FILE.encode()), "p.csv")},
        content_type="multipart/form-data",
    )
    run_path = response.headers["Location"]
    client.post(f"{run_path}/cancel", data={"csrf_token": csrf_token(client, run_path)})
    response = client.post(f"{run_path}/apply", data={"csrf_token": csrf_token(client, run_path)})
    assert "cannot be applied now" in client.get(response.headers["Location"]).get_data(as_text=True)
    run_id = int(re.search(r"/runs/(\d+)", run_path).group(1))
    with as_tenant(tenant):
        assert db.session.get(SyncRun, run_id).status == "cancelled"
        assert db.session.scalars(select(User).where(User.email == "pia@example.com")).first() is None


def test_a_learner_cannot_open_the_sync_pages(db, tenant_factory, user_factory, client_for):
    tenant = tenant_factory()
    learner = user_factory(tenant, "lee@example.com")
    client = client_for(tenant, learner)
    assert client.get("/admin/integrations/syncs/new").status_code in (403, 404)


def test_polling_a_finished_run_reloads_the_page_and_another_portal_sees_nothing(
    db, tenant_factory, user_factory, client_for
):
    _tenant, client = _admin(tenant_factory, user_factory, client_for)
    source_path = _add_source(client).headers["Location"]
    response = client.post(
        f"{source_path}/preview",
        data={"csrf_token": csrf_token(client, source_path), "upload": (io.BytesIO(FILE.encode()), "p.csv")},
        content_type="multipart/form-data",
    )
    run_path = response.headers["Location"]
    polled = client.get(f"{run_path}/progress", headers={"HX-Request": "true"})
    assert polled.headers["HX-Refresh"] == "true" and "HX-Request" in polled.headers["Vary"]
    _other, stranger = _admin(tenant_factory, user_factory, client_for)
    assert stranger.get(run_path).status_code == 404
    assert stranger.get(source_path).status_code == 404
    assert stranger.get(f"{run_path}/errors.csv").status_code == 404


@pytest.mark.redis
def test_with_redis_the_worker_previews_and_applies_on_the_sync_queue(
    db, tenant_factory, user_factory, client_for, worker
):
    """The real path: the page queues the preview, the worker process reads the file, the page polls."""
    tenant, client = _admin(tenant_factory, user_factory, client_for)
    source_path = _add_source(client).headers["Location"]
    response = client.post(
        f"{source_path}/preview",
        data={
            "csrf_token": csrf_token(client, source_path),
            "upload": (io.BytesIO(FILE.encode()), "people.csv"),
        },
        content_type="multipart/form-data",
    )
    run_path = response.headers["Location"]

    def wait_for(words: str) -> str:
        for _ in range(120):
            page = client.get(run_path).get_data(as_text=True)
            if words in page:
                return page
            time.sleep(0.5)
        raise AssertionError(f"the run never said {words!r}")

    assert "New people (1)" in wait_for("Preview ready")
    client.post(f"{run_path}/apply", data={"csrf_token": csrf_token(client, run_path)})
    wait_for("Roll back this run")
    with as_tenant(tenant):
        assert db.session.scalars(select(User.job_title).where(User.email == "pia@example.com")).one() == (
            "Picker"
        )
