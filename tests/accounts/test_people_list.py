"""Admin → People: rows written at once, every value escaped, the total the tenant's own."""

from __future__ import annotations

from sqlalchemy import update

from app.accounts.models import User
from app.tenancy import as_tenant


def test_people_list_escapes_names_job_titles_emails_and_units(db, tenant_factory, user_factory, client_for):
    from app.accounts.services import create_org_unit

    tenant = tenant_factory()
    admin = user_factory(tenant, roles=("tenant_admin",), full_name="Aa Admin")
    hostile = '<script>alert("x")</script>'
    with as_tenant(tenant):
        unit = create_org_unit(f"{hostile} unit")
        db.session.commit()
        unit_id = unit.id
    person = user_factory(
        tenant, "b@example.com", full_name=hostile, job_title="O'Neil & <b>", org_unit_id=unit_id
    )
    with as_tenant(tenant):
        # An address a directory sync may store, which the form would refuse.
        db.session.execute(update(User).where(User.id == person.id).values(email='q"<b>@example.com'))
        db.session.commit()
    html = client_for(tenant, admin).get("/admin/users").get_data(as_text=True)
    assert "<script>alert" not in html and "<b>" not in html
    escaped = "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;"
    assert (
        f'<td data-label="Name"><a href="/team/people/{person.id}"><bdi>{escaped}</bdi></a>'
        "<br><small><bdi>O&#39;Neil &amp; &lt;b&gt;</bdi></small></td>"
    ) in html
    assert '<td data-label="Email"><bdi>q&#34;&lt;b&gt;@example.com</bdi></td>' in html
    assert f'<td data-label="Organisation unit"><bdi>{escaped} unit</bdi></td>' in html
    assert '<td data-label="Status"><span class="badge badge-active">Active</span></td>' in html


def test_people_total_counts_the_tenants_own_matches_on_every_page_and_past_the_last(
    tenant_factory, user_factory, client_for
):
    acme, bistro = tenant_factory(), tenant_factory()
    admin = user_factory(acme, roles=("tenant_admin",), full_name="Aa Admin")
    for number in range(27):
        user_factory(acme, f"jo{number:02d}@acme.example", full_name=f"Jo {number:02d}")
    for number in range(5):
        user_factory(bistro, f"jo{number:02d}@bistro.example", full_name=f"Jo {number:02d}")
    client = client_for(acme, admin)
    assert '<p class="result-count" id="result-count">28 people</p>' in client.get("/admin/users").get_data(
        as_text=True
    )
    for query in ("?q=jo", "?q=jo&page=2", "?q=JO&status=active", "?q=jo&page=5"):
        html = client.get(f"/admin/users{query}").get_data(as_text=True)
        assert '<p class="result-count" id="result-count">27 people</p>' in html, query
    assert "0 people" in client.get("/admin/users?status=deactivated").get_data(as_text=True)
