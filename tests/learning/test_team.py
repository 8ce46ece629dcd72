"""The team page: a manager's people, reached through the organisation tree and the manager chain."""

from __future__ import annotations

from datetime import date, timedelta

from app.accounts.services import create_org_unit
from app.tenancy import as_tenant


def test_team_page_takes_the_same_number_of_queries_for_3_or_30_people(
    db, tenant_factory, user_factory, course_factory, enrol, client_for, count_queries
):
    counts = []
    for size in (3, 30):
        tenant = tenant_factory()
        with as_tenant(tenant):
            region = create_org_unit("Midwest", "region")
            db.session.flush()
            stores = [create_org_unit(f"Store {n}", "location", region.id) for n in range(size // 3)]
            db.session.commit()
        manager = user_factory(tenant, roles=("manager",), full_name="Mo Manager", org_unit_id=region.id)
        course = course_factory(tenant)
        previous_id = None
        for number in range(size):
            # A third in the region's stores, a third reporting to the manager, a third to those.
            unit_id = stores[number // 3].id if number % 3 == 0 else None
            boss_id = {0: None, 1: manager.id, 2: previous_id}[number % 3]
            person = user_factory(
                tenant, full_name=f"Cook {number:02d}", org_unit_id=unit_id, manager_id=boss_id, password=None
            )
            previous_id = person.id
            enrol(tenant, person, course, due_on=date.today() - timedelta(days=number % 2))
        client = client_for(tenant, manager)
        client.get("/team/")  # warm: the session and the caches a first request fills
        with count_queries() as counter:
            page = client.get("/team/")
        assert page.status_code == 200
        assert page.get_data(as_text=True).count('name="people"') == size
        counts.append(counter.count)
    assert counts[0] == counts[1], counts
