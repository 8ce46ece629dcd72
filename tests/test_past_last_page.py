"""A page past a list's end (an old link, a list that shrank) goes to the list's last page, its filters kept,
instead of "nobody matches" under a total that says there are people."""

from __future__ import annotations

from app.policies import services as policies
from app.tenancy import as_tenant


def test_people_past_the_last_page_go_to_the_last_page_with_their_filters(
    tenant_factory, user_factory, client_for, monkeypatch
):
    import app.accounts.admin_views as admin_views

    monkeypatch.setattr(admin_views, "PER_PAGE", 2)
    tenant = tenant_factory()
    admin = user_factory(tenant, full_name="Alex Admin", roles=("tenant_admin",))
    for name in ("Bea Baker", "Cy Cook", "Di Driver", "Zoe Zed"):
        user_factory(tenant, full_name=name)
    client = client_for(tenant, admin)
    response = client.get("/admin/users?status=active&page=9")
    assert response.status_code == 302
    assert response.headers["Location"] == "/admin/users?status=active&page=3"  # 5 people, 2 a page
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Zoe Zed" in page and "Page 3 of 3" in page and "Nobody matches" not in page
    # A page within the list is shown as asked; the last one too.
    assert client.get("/admin/users?status=active&page=3").status_code == 200
    # A search that finds one page (or nobody) goes to its first page: the page argument is dropped.
    assert client.get("/admin/users?q=zoe&page=4").headers["Location"] == "/admin/users?q=zoe"
    assert client.get("/admin/users?q=nobody-called-this&page=2").headers["Location"] == (
        "/admin/users?q=nobody-called-this"
    )
    # An argument named like one of url_for's own stays a query argument of the same address.
    location = client.get("/admin/users?page=9&_external=1&_anchor=x").headers["Location"]
    assert location == "/admin/users?page=3&_external=1&_anchor=x"


def test_the_catalog_and_my_team_past_their_end_go_to_their_last_page(
    tenant_factory, user_factory, client_for, monkeypatch
):
    import app.compliance.board as board

    monkeypatch.setattr(board, "PAGE_SIZE", 1)
    tenant = tenant_factory()
    manager = user_factory(tenant, roles=("manager", "learner"))
    for name in ("Ann Able", "Ben Best"):
        user_factory(tenant, full_name=name, manager_id=manager.id)
    client = client_for(tenant, manager)
    response = client.get("/team/?page=7&job_title=")
    assert response.status_code == 302 and response.headers["Location"] == "/team/?page=2&job_title="
    assert client.get(response.headers["Location"]).status_code == 200
    # The list's part fetched by htmx as the filters change goes there too (htmx follows the redirect).
    response = client.get("/team/?page=7", headers={"HX-Request": "true", "HX-Target": "compliance-list"})
    assert response.headers["Location"] == "/team/?page=2"
    response = client.get("/catalog?q=knife&page=12")
    assert response.status_code == 302 and response.headers["Location"] == "/catalog?q=knife"


def test_the_policies_report_brings_each_of_its_two_lists_back_within_its_end(
    db, tenant_factory, user_factory, client_for
):
    tenant = tenant_factory()
    admin = user_factory(tenant, roles=("tenant_admin", "learner"))
    user_factory(tenant, full_name="Pat Pending")
    with as_tenant(tenant):
        policy = policies.create_policy("Code of Ethics", due_days=10)
        version = policies.publish_version(policies.save_draft(policy, "Be honest."))
        db.session.commit()
        path = f"/admin/policies/{policy.id}/versions/{version.id}"
    client = client_for(tenant, admin)
    response = client.get(f"{path}?accepted_page=3&pending_page=5")
    assert response.status_code == 302 and response.headers["Location"] == path
    assert client.get(f"{path}?pending_page=1").status_code == 200
