"""Admin → People: rows written at once, every value escaped, the total the tenant's own, kept until a person
or a status changes and then counted again in every worker."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import update

from app.accounts.models import User, UserStatus
from app.accounts.people_count import people_count_cache
from app.accounts.services import create_user, deactivate_user, reactivate_user
from app.tenancy import as_tenant
from app.tenancy.models import utcnow


def _total(client: Any, query: str = "") -> int:
    html = client.get(f"/admin/users{query}").get_data(as_text=True)
    found = re.search(r'<p class="result-count" id="result-count">(\d+) (?:person|people)</p>', html)
    assert found, f"/admin/users{query} shows how many people"
    return int(found.group(1))


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
        response = client.get(f"/admin/users{query}", follow_redirects=True)
        html = response.get_data(as_text=True)
        assert '<p class="result-count" id="result-count">27 people</p>' in html, query
    assert response.request.full_path == "/admin/users?q=jo&page=2"  # past the last page: the last one
    assert "0 people" in client.get("/admin/users?status=deactivated").get_data(as_text=True)


def test_people_totals_kept_in_one_worker_follow_a_person_added_deactivated_and_reactivated_in_another(
    db, workers, tenant_factory, user_factory
):
    tenant = tenant_factory()
    admin = user_factory(tenant, roles=("tenant_admin",), full_name="Aa Admin")
    leaver = user_factory(tenant, full_name="Lee Leaver")
    a, b = workers(tenant, admin.email, warm="/admin/users")
    assert _total(a) == _total(b) == 2
    assert _total(b, "?status=deactivated") == 0

    with as_tenant(tenant):  # someone joins (as the admin screen, SCIM or an HR sync would add them)
        create_user("new.starter@example.com", "New Starter")
        db.session.commit()
    assert _total(b) == _total(a) == 3

    with as_tenant(tenant):  # someone leaves
        deactivate_user(db.session.merge(leaver))
        db.session.commit()
    assert _total(b) == 3
    assert _total(b, "?status=deactivated") == _total(a, "?status=deactivated") == 1
    assert _total(b, "?status=active") == 2

    with as_tenant(tenant):
        reactivate_user(db.session.merge(leaver))
        db.session.commit()
    assert _total(b, "?status=deactivated") == 0
    assert _total(a, "?status=active") == 3


def test_the_people_page_seen_again_counts_nobody_again_until_a_status_changes(
    app, db, tenant_factory, user_factory, client_for, count_queries
):
    tenant = tenant_factory()
    admin = user_factory(tenant, roles=("tenant_admin",), full_name="Aa Admin")
    person = user_factory(tenant, full_name="Pat Person")
    client = client_for(tenant, admin)
    with count_queries() as first:
        assert _total(client) == 2
    with count_queries() as again:
        assert _total(client) == 2
    assert again.count == first.count - 1  # the count, and only it, not run again
    assert not any("count(" in statement for statement in again.statements)

    generations = people_count_cache(app).generations
    before = generations.read(tenant.id)
    with as_tenant(tenant):  # signing in and a new name change nobody's count
        user = db.session.merge(person)
        user.last_login_at = utcnow()
        user.full_name = "Pat Renamed"
        db.session.commit()
    assert generations.read(tenant.id) == before
    with as_tenant(tenant):
        db.session.merge(person).status = UserStatus.deactivated.value
        db.session.commit()
    assert generations.read(tenant.id) != before
    with count_queries() as changed:
        assert _total(client, "") == 2
    assert changed.count == first.count


def test_a_search_is_always_counted_on_what_it_finds(db, tenant_factory, user_factory, client_for):
    tenant = tenant_factory()
    admin = user_factory(tenant, roles=("tenant_admin",), full_name="Aa Admin")
    person = user_factory(tenant, full_name="Sam Smith")
    client = client_for(tenant, admin)
    assert _total(client, "?q=smith") == 1
    with as_tenant(tenant):  # a rename moves no generation: the search's total is counted anyway
        db.session.merge(person).full_name = "Sam Jones"
        db.session.commit()
    assert _total(client, "?q=smith") == 0
    assert _total(client, "?q=jones") == 1


def test_one_tenants_kept_total_is_never_another_tenants(tenant_factory, user_factory, client_for):
    acme, bistro = tenant_factory(), tenant_factory()
    acme_admin = user_factory(acme, roles=("tenant_admin",))
    bistro_admin = user_factory(bistro, roles=("tenant_admin",))
    for _ in range(4):
        user_factory(acme)
    acme_client, bistro_client = client_for(acme, acme_admin), client_for(bistro, bistro_admin)
    for _ in range(2):  # counted, then kept: each tenant its own
        assert _total(acme_client) == 5
        assert _total(bistro_client) == 1


def test_a_people_search_finds_every_word_in_any_order_and_takes_percent_and_underscore_as_typed(
    tenant_factory, user_factory, client_for
):
    tenant = tenant_factory()
    admin = user_factory(tenant, "aa@example.com", roles=("tenant_admin",), full_name="Aa Admin")
    user_factory(tenant, "mia.lopez@bistro.example", full_name="Mia López", job_title="Line cook")
    user_factory(tenant, "sam@bistro.example", full_name="Sam Stone", job_title="Cook")
    user_factory(tenant, "x_y@bistro.example", full_name="Pat 100% Sure", employee_id="B-7")
    client = client_for(tenant, admin)

    def names(query: str) -> list[str]:
        html = client.get("/admin/users", query_string={"q": query}).get_data(as_text=True)
        return re.findall(r'<a href="/team/people/\d+"><bdi>([^<]+)</bdi></a>', html)

    assert names("line cook") == names("cook line") == names("  Line   COOK! ") == ["Mia López"]
    assert names("cook") == ["Mia López", "Sam Stone"]  # a job title
    assert names("mia bistro") == ["Mia López"]  # a name and an email
    assert names("cook sure") == []  # every word must be found
    assert names("100%") == ["Pat 100% Sure"] and names("%") == ["Pat 100% Sure"]
    assert names("x_y") == ["Pat 100% Sure"] and names("s_m") == []
    assert names("b-7") == ["Pat 100% Sure"]  # an employee id
    assert _total(client, "?q=cook+line") == 1 and _total(client, "?q=%25") == 1
