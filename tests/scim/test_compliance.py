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


def test_retry_after_is_sent_only_when_a_client_must_wait(app: Any, scim: Any) -> None:
    # An identity provider that honours Retry-After would pause after every success if it were always sent.
    ok = scim.get("/ServiceProviderConfig")
    assert ok.status_code == 200 and "Retry-After" not in ok.headers
    app.config["SCIM_RATE_LIMIT"] = "2 per minute"
    try:
        answers = [scim.get("/Users") for _ in range(3)]
    finally:
        app.config["SCIM_RATE_LIMIT"] = "12000 per minute"
    assert [a.status_code for a in answers] == [200, 200, 429]
    assert "Retry-After" not in answers[1].headers
    assert int(answers[2].headers["Retry-After"]) >= 1
    assert answers[2].mimetype == "application/scim+json", answers[2].get_data(as_text=True)[:300]
    assert answers[2].get_json()["status"] == "429"


def test_a_suspended_portal_refuses_provisioning_with_a_scim_error(db: Any, scim: Any) -> None:
    from app.console.services import suspend_tenant

    suspend_tenant(db.session.merge(scim.tenant))
    db.session.commit()
    refused = scim.post(
        "/Users", {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "x@y"}
    )
    assert refused.status_code == 403
    assert refused.mimetype == "application/scim+json"
    body = refused.get_json()
    assert body["status"] == "403" and "suspended" in body["detail"]
    assert body["schemas"] == ["urn:ietf:params:scim:api:messages:2.0:Error"]
