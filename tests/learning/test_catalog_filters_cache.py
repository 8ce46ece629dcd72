"""The catalog's filters are kept per tenant and audience; a course changed through one worker shows on
every worker at its next catalog page, and no tenant or audience sees another's filters."""

from __future__ import annotations

import re
from typing import Any

from app.extensions import db as _db
from app.learning.services import courses as authoring
from app.learning.services.facet_cache import FacetCache, Facets
from app.tenancy import as_tenant

# The categories and topics these tests give their courses (other tests' library courses may be
# deployed to every portal, with filters of their own: they are left out of the comparisons).
OURS = {"Kitchen", "Warehouse", "Yard", "Chefs only", "For everyone", "Front of house", "Workshop"}
OUR_TOPICS = {"knives", "driving", "reversing"}


def _options(client: Any, select_id: str, ours: set[str]) -> list[str]:
    page = client.get("/catalog").get_data(as_text=True)
    select = re.search(rf'<select id="{select_id}".*?</select>', page, re.S)
    assert select, f"the catalog offers its {select_id} filter"
    return [v for v in re.findall(r'<option dir="auto" value="([^"]+)"', select.group(0)) if v in ours]


def _categories(client: Any) -> list[str]:
    return _options(client, "category", OURS)


def _topics(client: Any) -> list[str]:
    return _options(client, "tag", OUR_TOPICS)


def _update(tenant: Any, course: Any, **fields: Any) -> None:
    """Change *course* as its author's form does, and commit (the end of a request, in this worker)."""
    with as_tenant(tenant):
        course = _db.session.merge(course)
        details = {
            "title": course.title,
            "category": course.category,
            "tags": course.tags,
            "self_enroll": course.self_enroll,
            "listed": course.listed,
            **fields,
        }
        visibility = details.pop("visibility", course.visibility)
        audiences = details.pop("audiences", authoring.audiences_of(course))
        authoring.update_course(course, details, visibility=visibility, audiences=audiences)
        _db.session.commit()


def test_a_course_added_or_changed_through_one_worker_changes_the_filters_on_the_other(
    workers, tenant_factory, user_factory, course_factory
):
    tenant = tenant_factory()
    learner = user_factory(tenant)
    course_factory(tenant, "Knife skills", category="Kitchen", tags=["knives"])
    a, b = workers(tenant, learner.email, warm="/catalog")
    assert _categories(b) == ["Kitchen"] and _topics(b) == ["knives"]

    forklifts = course_factory(tenant, "Forklift safety", category="Warehouse", tags=["driving"])
    assert _categories(b) == ["Kitchen", "Warehouse"]
    assert _topics(b) == ["driving", "knives"]

    _update(tenant, forklifts, category="Yard", tags=["reversing"])
    assert _categories(b) == ["Kitchen", "Yard"] and _categories(a) == ["Kitchen", "Yard"]
    assert _topics(b) == ["knives", "reversing"]

    with as_tenant(tenant):
        authoring.set_course_status(_db.session.merge(forklifts), "archived")
        _db.session.commit()
    assert _categories(b) == ["Kitchen"] and _topics(b) == ["knives"]


def test_an_audience_changed_through_one_worker_changes_who_sees_its_filters_on_the_other(
    workers, tenant_factory, user_factory, course_factory
):
    tenant = tenant_factory()
    chef = user_factory(tenant, job_title="Chef")
    porter = user_factory(tenant, job_title="Porter")
    course_factory(tenant, "Hygiene", category="For everyone")
    restricted = course_factory(
        tenant, "Sauces", category="Chefs only", visibility="restricted", audiences={"job_title": ["chef"]}
    )
    _a, chef_b = workers(tenant, chef.email, warm="/catalog")
    _a, porter_b = workers(tenant, porter.email, warm="/catalog")
    # Two people of one tenant, each with their own filters: what one may see is never shown to the other.
    assert _categories(chef_b) == ["Chefs only", "For everyone"]
    assert _categories(porter_b) == ["For everyone"]

    _update(tenant, restricted, visibility="restricted", audiences={"job_title": ["porter"]})
    assert _categories(chef_b) == ["For everyone"]
    assert _categories(porter_b) == ["Chefs only", "For everyone"]


def test_two_tenants_never_see_each_others_filters(workers, tenant_factory, user_factory, course_factory):
    first, second = tenant_factory(), tenant_factory()
    course_factory(first, "Tills", category="Front of house")
    course_factory(second, "Engines", category="Workshop")
    # Same kind of learner (no group, no unit, no job title) in each: the same audience but another tenant.
    _a, first_b = workers(first, user_factory(first).email, warm="/catalog")
    _a, second_b = workers(second, user_factory(second).email, warm="/catalog")
    assert _categories(first_b) == ["Front of house"]
    assert _categories(second_b) == ["Workshop"]


def test_a_change_of_every_tenant_reaches_every_tenants_filters(app, tmp_path):
    """A bulk change outside any tenant moves the generation every tenant's filters are read with."""
    cache = FacetCache(app)
    counted = []

    def count() -> Facets:
        counted.append(1)
        return Facets(("A",), (), 1)

    assert cache.facets(1, "viewer", count) == cache.facets(1, "viewer", count) == Facets(("A",), (), 1)
    assert len(counted) == 1
    other = FacetCache(app)  # another process: its own entries, the same generations
    other.facets(1, "viewer", count)
    cache.advance(None)
    other.facets(1, "viewer", count)
    assert len(counted) == 3
    cache.advance(2)  # another tenant's change leaves this one's filters kept
    other.facets(1, "viewer", count)
    assert len(counted) == 3


def _count(client: Any, path: str) -> int:
    found = re.search(
        r'<p id="result-count" class="result-count">(\d+) courses?</p>',
        client.get(path).get_data(as_text=True),
    )
    assert found, f"{path} says how many courses it shows"
    return int(found.group(1))


def test_how_many_courses_the_catalog_lists_and_a_search_finds_follow_a_change_on_another_worker(
    workers, tenant_factory, user_factory, course_factory
):
    tenant = tenant_factory()
    chef = user_factory(tenant, job_title="Chef")
    porter = user_factory(tenant, job_title="Porter")
    for n in range(25):  # more than a page finds: the search's count is counted, not the page's rows
        course_factory(tenant, f"Knife skills {n:02d}", lessons=1)
    sauces = course_factory(
        tenant,
        "Knife skills for sauces",
        lessons=1,
        visibility="restricted",
        audiences={"job_title": ["chef"]},
    )
    _a, chef_b = workers(tenant, chef.email, warm="/catalog?q=knife")
    a, porter_b = workers(tenant, porter.email, warm="/catalog?q=knife")
    # Each audience its own counts: the porter is never told of the chefs' course.
    assert _count(chef_b, "/catalog?q=knife") == _count(chef_b, "/catalog") == 26
    assert _count(porter_b, "/catalog?q=knife") == _count(porter_b, "/catalog?q=knife&page=2") == 25
    assert _count(porter_b, "/catalog") == 25

    course_factory(tenant, "Knife skills 25", lessons=1)
    assert _count(porter_b, "/catalog?q=knife") == _count(a, "/catalog?q=knife") == 26
    assert _count(porter_b, "/catalog") == 26 and _count(chef_b, "/catalog?q=knife") == 27

    _update(tenant, sauces, visibility="restricted", audiences={"job_title": ["porter"]})
    assert _count(porter_b, "/catalog?q=knife") == _count(porter_b, "/catalog") == 27
    assert _count(chef_b, "/catalog?q=knife") == 26
