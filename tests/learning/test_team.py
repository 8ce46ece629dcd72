"""The team page: a manager's people, reached through the organisation tree and the manager chain."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

from app.accounts.services import create_org_unit
from app.tenancy import as_tenant


def test_team_page_takes_the_same_number_of_queries_for_3_or_24_people(
    db, tenant_factory, user_factory, course_factory, enrol, client_for, count_queries
):
    counts = []
    for size in (3, 24):  # both on one page (25 people a page)
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


def test_team_and_sign_offs_pages_take_the_same_number_of_queries_for_a_small_or_a_busy_team(
    db, tenant_factory, user_factory, client_for, count_queries
):
    """More people, more courses each, more checkpoints waiting: the same statements, the right counts."""
    from app.learning.services import courses as authoring
    from app.learning.services.enrollments import enrol

    def team_with(people: int, courses: int) -> tuple[Any, Any]:
        tenant = tenant_factory()
        with as_tenant(tenant):
            kitchen = create_org_unit("Kitchen", "location")
            db.session.commit()
        manager = user_factory(tenant, roles=("manager",), full_name="Mo Manager", org_unit_id=kitchen.id)
        with as_tenant(tenant):
            made = []
            for number in range(courses):
                course = authoring.create_course({"title": f"Station {number:02d}", "self_enroll": True})
                authoring.add_lesson(course, "page", "Read first", True, {"body": "Hot oil."}, {})
                if number % 2 == 0:  # half of the courses end in a checkpoint
                    authoring.add_lesson(course, "checkpoint", "Show it", True, {"items": "Shut down"}, {})
                authoring.set_course_status(course, "published")
                made.append(course)
            db.session.commit()
        for number in range(people):
            person = user_factory(tenant, full_name=f"Cook {number}", org_unit_id=kitchen.id, password=None)
            with as_tenant(tenant):
                for course in made:
                    enrol(db.session.merge(person), db.session.merge(course))
                db.session.commit()
        return tenant, manager

    counts = []
    for people, courses in ((2, 2), (12, 6)):
        tenant, manager = team_with(people, courses)
        client = client_for(tenant, manager)
        client.get("/team/")  # warm: the session and the caches a first request fills
        with count_queries() as team:
            page = client.get("/team/").get_data(as_text=True)
        assert page.count('name="people"') == people
        waiting = people * ((courses + 1) // 2)
        assert f"Sign-offs waiting: {waiting}" in page
        # A checkpoint waiting is on its person's line with a link to sign it off, among the line's three
        # most urgent items; the rest are behind "N more open items" (the person's page lists them all).
        shown = page.count(">Sign off<")
        if courses + (courses + 1) // 2 <= 3:  # every open item fits on the line
            assert shown == waiting
        else:
            assert 0 < shown < waiting and page.count(" more open items") == people
        with count_queries() as signoffs:
            page = client.get("/team/checkpoints/").get_data(as_text=True)
        assert len(re.findall(r'href="/team/checkpoints/\d+/\d+"', page)) == waiting
        counts.append((team.count, signoffs.count))
    assert counts[0] == counts[1], counts


def test_team_page_shows_twenty_five_people_a_page_worst_first_and_the_overdue_filter_covers_everyone(
    db, tenant_factory, user_factory, course_factory, enrol, client_for, count_queries
):
    """A big team is paged, the overdue people first; the overdue filter looks at everyone, not one page."""
    tenant = tenant_factory()
    with as_tenant(tenant):
        store = create_org_unit("Store", "location")
        db.session.commit()
    manager = user_factory(tenant, roles=("manager",), full_name="Aa Manager", org_unit_id=store.id)
    first, second = course_factory(tenant), course_factory(tenant)
    for number in range(55):
        person = user_factory(tenant, full_name=f"Cook {number:02d}", org_unit_id=store.id, password=None)
        overdue = number in (3, 52)
        enrol(tenant, person, first, due_on=date.today() - timedelta(days=1 if overdue else -30))
        if number % 2:
            enrol(tenant, person, second)

    def names(html: str) -> list[str]:
        return re.findall(r'data-label="Person"><a href="[^"]+"><bdi>([^<]+)</bdi>', html)

    client = client_for(tenant, manager)
    client.get("/team/")
    with count_queries() as page_one:
        page = client.get("/team/").get_data(as_text=True)
    assert page.count('name="people"') == 25 and "Page 1 of 3" in page
    assert names(page)[:3] == ["Cook 03", "Cook 52", "Cook 00"] and "Cook 49" not in names(page)
    row = page[page.index("<bdi>Cook 03</bdi>") :].split("</tr>", 1)[0]
    assert "<strong>Overdue</strong>: <bdi>" in row and "Not compliant" in row
    with count_queries() as page_two:
        later = client.get("/team/?page=3").get_data(as_text=True)
    assert names(later) == ["Cook 49", "Cook 50", "Cook 51", "Cook 53", "Cook 54"]
    assert page_two.count == page_one.count
    # My team's old quick filter still answers, as the status filter.
    for address in ("/team/?show=overdue", "/team/?status=overdue"):
        overdue = client.get(address).get_data(as_text=True)
        assert names(overdue) == ["Cook 03", "Cook 52"] and "Page 1 of" not in overdue


def test_assign_form_offers_fifty_courses_and_a_search_finds_any_other(
    db, tenant_factory, user_factory, course_factory, client_for
):
    """A tenant with many published courses: the page lists the first 50 by title, Find narrows the list
    (with and without JavaScript), and a draft course cannot be assigned by posting its id."""
    from sqlalchemy import select

    from app.learning.models import Enrollment
    from tests.conftest import csrf_token

    tenant = tenant_factory()
    manager = user_factory(tenant, roles=("manager", "learner"), full_name="Morgan")
    report = user_factory(tenant, manager_id=manager.id, full_name="Remy Report")
    for number in range(55):
        course_factory(tenant, f"Aisle station {number:02d}", lessons=1)
    course_factory(tenant, "Zesty 100% Sauces_Safety", lessons=1)
    draft = course_factory(tenant, "Unfinished draft", lessons=1, publish=False)
    client = client_for(tenant, manager)

    def offered(html: str) -> list[str]:
        return re.findall(r'<option dir="auto" value="\d+">([^<]+)</option>', html)

    page = client.get("/team/").get_data(as_text=True)
    assert offered(page) == [f"Aisle station {n:02d}" for n in range(50)]  # before any library course
    assert "type part of a title in “Find a course” to narrow the list" in page
    assert "Unfinished draft" not in page

    # Without JavaScript: the Find button reloads the page with the list narrowed and the words kept.
    page = client.get("/team/?course_q=sauces_").get_data(as_text=True)
    assert offered(page) == ["Zesty 100% Sauces_Safety"]
    assert 'value="sauces_"' in page
    # "%" and "_" are letters to look for, not wildcards.
    page = client.get("/team/?course_q=0%25").get_data(as_text=True)
    assert offered(page) == ["Zesty 100% Sauces_Safety"]
    page = client.get("/team/?course_q=nothing like this").get_data(as_text=True)
    assert "No published course matches “nothing like this”" in page

    # With htmx, typing swaps in only the options.
    fragment = client.get(
        "/team/?course_q=station 5", headers={"HX-Request": "true", "HX-Target": "course_id"}
    ).get_data(as_text=True)
    assert "<html" not in fragment and "Remy Report" not in fragment
    assert offered(fragment) == [f"Aisle station {n}" for n in range(50, 55)]

    refused = client.post(
        "/team/assign",
        data={
            "csrf_token": csrf_token(client, "/team/"),
            "people": [str(report.id)],
            "course_id": str(draft.id),
        },
        follow_redirects=True,
    )
    assert "Choose a course to assign." in refused.get_data(as_text=True)
    with as_tenant(tenant):
        assert db.session.scalars(select(Enrollment).where(Enrollment.course_id == draft.id)).all() == []


def test_people_without_the_assign_permission_get_no_course_list(
    db, tenant_factory, user_factory, client_for
):
    """An instructor sees their people but may not assign: no course list, not even through htmx."""
    tenant = tenant_factory()
    instructor = user_factory(tenant, roles=("instructor",), full_name="Ines Instructor")
    user_factory(tenant, manager_id=instructor.id, full_name="Remy Report")
    client = client_for(tenant, instructor)
    page = client.get("/team/").get_data(as_text=True)
    assert "Remy Report" in page and 'id="course_id"' not in page
    fragment = client.get("/team/?course_q=a", headers={"HX-Request": "true", "HX-Target": "course_id"})
    assert fragment.status_code == 403
