"""The assign form's courses and paths are kept per tenant and offered anew as soon as the catalog changes."""

from __future__ import annotations

from typing import Any

from app.tenancy import as_tenant
from tests.compliance.test_my_team import _downtown, _path


def _options(client: Any) -> str:
    page = client.get("/team/").get_data(as_text=True)
    return page[page.index('<select id="course_id"') : page.index("</select>", page.index('id="course_id"'))]


def test_a_new_retitled_or_withdrawn_course_is_offered_at_once(
    db, tenant_factory, user_factory, course_factory, client_for
):
    from app.learning.services import courses as authoring

    bistro = _downtown(db, tenant_factory, user_factory)
    tenant = bistro["tenant"]
    grill = course_factory(tenant, "Grill basics")
    client = client_for(tenant, bistro["manager"])
    assert f'<option dir="auto" value="{grill.id}">Grill basics</option>' in _options(client)
    fryer = course_factory(tenant, "Fryer & oil")
    assert f'<option dir="auto" value="{fryer.id}">Fryer &amp; oil</option>' in _options(client)
    with as_tenant(tenant):
        db.session.merge(grill).title = "Grill, advanced"
        db.session.commit()
    options = _options(client)
    assert "Grill, advanced" in options and "Grill basics" not in options
    with as_tenant(tenant):
        authoring.set_course_status(db.session.merge(fryer), "archived")
        db.session.commit()
    assert "Fryer" not in _options(client)


def test_a_new_or_retitled_learning_path_is_offered_at_once(
    db, tenant_factory, user_factory, course_factory, client_for
):
    bistro = _downtown(db, tenant_factory, user_factory)
    tenant = bistro["tenant"]
    grill = course_factory(tenant, "Grill basics")
    client = client_for(tenant, bistro["manager"])
    assert "Learning paths" not in _options(client)
    path = _path(db, tenant, grill, "Line cook path")
    assert f'<option dir="auto" value="path:{path.id}">Line cook path</option>' in _options(client)
    with as_tenant(tenant):
        db.session.merge(path).title = "Grill cook path"
        db.session.commit()
    options = _options(client)
    assert "Grill cook path" in options and "Line cook path" not in options


def test_each_tenant_is_offered_its_own_courses(db, tenant_factory, user_factory, course_factory, client_for):
    bistro = _downtown(db, tenant_factory, user_factory)
    cafe = _downtown(db, tenant_factory, user_factory)
    course_factory(bistro["tenant"], "Bistro grill")
    course_factory(cafe["tenant"], "Cafe espresso")
    bistro_client = client_for(bistro["tenant"], bistro["manager"])
    cafe_client = client_for(cafe["tenant"], cafe["manager"])
    for _visit in range(2):  # the second visits are served what was kept
        bistro_options, cafe_options = _options(bistro_client), _options(cafe_client)
        assert "Bistro grill" in bistro_options and "Cafe espresso" not in bistro_options
        assert "Cafe espresso" in cafe_options and "Bistro grill" not in cafe_options


def test_the_unsearched_choices_are_kept_until_the_catalog_changes(
    app, db, tenant_factory, user_factory, course_factory
):
    from app.team.choices import assign_choices

    tenant = tenant_factory()
    course_factory(tenant, "Grill basics")
    with app.test_request_context("/"), as_tenant(tenant):
        first = assign_choices("")
        assert assign_choices("") is first  # kept: no statement
        assert assign_choices("grill") is not first  # a search is read each time
    course_factory(tenant, "Fryer")
    with app.test_request_context("/"), as_tenant(tenant):
        again = assign_choices("")
    assert again is not first and "Fryer" in again.courses and "Grill basics" in again.courses


def test_a_policys_due_date_counts_from_the_utc_day_it_was_published_whatever_the_connections_zone(
    app, db, tenant_factory, policy_factory
):
    from datetime import UTC, date, datetime

    from sqlalchemy import text

    from app.compliance.audiences import binding_policies

    tenant = tenant_factory()
    version = policy_factory(tenant, "Code of Conduct", due_days=14)
    with as_tenant(tenant):
        db.session.merge(version).published_at = datetime(2026, 3, 1, 23, 30, tzinfo=UTC)
        db.session.commit()
        if db.session.get_bind().dialect.name == "postgresql":
            # Rows read through the driver come in this zone: already 2 March there.
            db.session.execute(text("SET LOCAL TIME ZONE 'Pacific/Kiritimati'"))
        [policy] = binding_policies()
    assert policy.title == "Code of Conduct" and policy.due_on == date(2026, 3, 15)
