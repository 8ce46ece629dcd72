"""An independent checker, scim2-tester, runs every check it has against the live app: none may fail."""

from __future__ import annotations

from typing import Any

from scim2_client.engines.wsgi import WSGISCIMClient
from scim2_tester import Status, check_server

from app.accounts.services import create_org_unit
from app.tenancy import as_tenant
from tests.conftest import tenant_host


def test_scim2_tester_finds_no_failure(app, db, scim):
    with as_tenant(scim.tenant):
        create_org_unit("Paris")
        create_org_unit("Lyon")
        db.session.commit()
    client = WSGISCIMClient(
        app,
        base_url=f"http://{tenant_host(scim.tenant)}/scim/v2",
        headers={"Authorization": f"Bearer {scim.token}"},
    )
    client.discover()
    results = check_server(client)
    failures: list[Any] = [r for r in results if r.status in (Status.ERROR, Status.CRITICAL)]
    assert results
    assert not failures, "\n".join(f"{r.title}: {r.status} {r.reason}" for r in failures)
