"""Admins create a token (shown once), see its operations log, and revoke it; operators use the CLI."""

from __future__ import annotations

import re

from app.tenancy import as_tenant
from tests.conftest import csrf_token
from tests.scim.conftest import Scim


def test_an_admin_creates_uses_and_revokes_a_token(db, tenant_factory, user_factory, client_for):
    tenant = tenant_factory()
    admin = user_factory(tenant, roles=("tenant_admin",))
    browser = client_for(tenant, admin)
    assert "SCIM provisioning" in browser.get("/admin/integrations").get_data(as_text=True)
    token = csrf_token(browser, "/admin/integrations/scim/tokens/new")
    empty = browser.post("/admin/integrations/scim/tokens/new", data={"csrf_token": token, "name": "  "})
    assert empty.status_code == 400
    assert "Name the token after the system" in empty.get_data(as_text=True)
    created = browser.post("/admin/integrations/scim/tokens/new", data={"csrf_token": token, "name": "Okta"})
    page = created.get_data(as_text=True)
    assert created.status_code == 200 and "shown only this once" in page
    shown = re.search(r'id="scim-secret" type="text" readonly value="([^"]+)"', page)
    assert shown is not None
    secret = shown.group(1)

    scim = Scim(tenant, client_for(tenant), secret)
    person = scim.create_user("new.hire@example.com")
    assert scim.post("/Users", {"userName": "NEW.HIRE@example.com"}).status_code == 409

    listing = browser.get("/admin/integrations").get_data(as_text=True)
    assert "Okta" in listing and secret[:8] in listing and secret not in listing
    from app.scim import services

    with as_tenant(tenant):
        token_id = services.token_for(secret).id  # type: ignore[union-attr]
    log = browser.get(f"/admin/integrations/scim/tokens/{token_id}").get_data(as_text=True)
    assert "POST /scim/v2/Users" in log and "created" in log and "refused" in log and "uniqueness" not in log
    assert "already in use" in log

    revoked = browser.post(f"/admin/integrations/scim/tokens/{token_id}/revoke", data={"csrf_token": token})
    assert revoked.status_code == 302
    assert scim.get(f"/Users/{person['id']}").status_code == 401
    assert (
        "revoked" in browser.get(f"/admin/integrations/scim/tokens/{token_id}").get_data(as_text=True).lower()
    )


def test_learners_cannot_reach_the_token_pages(db, tenant_factory, user_factory, client_for):
    tenant = tenant_factory()
    learner = client_for(tenant, user_factory(tenant))
    assert learner.get("/admin/integrations/scim/tokens/new").status_code == 403


def test_the_cli_prints_the_token_on_its_last_line(app, db, tenant_factory, client_for):
    tenant = tenant_factory()
    result = app.test_cli_runner().invoke(args=["scim", "token", "create", tenant.slug, "--name", "Script"])
    assert result.exit_code == 0, result.output
    secret = result.output.strip().splitlines()[-1]
    assert Scim(tenant, client_for(tenant), secret).get("/ServiceProviderConfig").status_code == 200
    unknown = app.test_cli_runner().invoke(args=["scim", "token", "create", "no-such-portal", "--name", "X"])
    assert unknown.exit_code != 0 and "no tenant" in unknown.output
