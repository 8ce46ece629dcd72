"""Learners see what they may see (groups, org units, job titles); search, filters and self-enrolment."""

from __future__ import annotations

from app.accounts.services import add_group_members, create_group, create_org_unit
from app.tenancy import as_tenant
from tests.conftest import csrf_token


def test_learner_cannot_open_a_course_outside_their_visibility(
    db, tenant_factory, user_factory, client_for, course_factory
):
    tenant = tenant_factory()
    with as_tenant(tenant):
        managers = create_group("Managers only")
        db.session.commit()
    secret = course_factory(
        tenant, "Manager Secrets", visibility="restricted", audiences={"group": [str(managers.id)]}
    )
    learner = user_factory(tenant)
    client = client_for(tenant, learner)
    assert client.get(f"/courses/{secret.id}").status_code == 404
    assert (
        client.post(
            f"/courses/{secret.id}/enrol", data={"csrf_token": csrf_token(client, "/catalog")}
        ).status_code
        == 404
    )
    assert "Manager Secrets" not in client.get("/catalog").get_data(as_text=True)
    with as_tenant(tenant):
        add_group_members(managers, [learner.id])
        db.session.commit()
    assert client.get(f"/courses/{secret.id}").status_code == 200
    assert "Manager Secrets" in client.get("/catalog").get_data(as_text=True)


def test_org_unit_visibility_includes_the_units_below(
    db, tenant_factory, user_factory, client_for, course_factory
):
    tenant = tenant_factory()
    with as_tenant(tenant):
        region = create_org_unit("Midwest", "region")
        db.session.flush()
        downtown = create_org_unit("Downtown", "location", region.id)
        elsewhere = create_org_unit("Elsewhere", "region")
        db.session.commit()
    course = course_factory(
        tenant, "Regional Rules", visibility="restricted", audiences={"org_unit": [str(region.id)]}
    )
    inside = user_factory(tenant, org_unit_id=downtown.id)
    outside = user_factory(tenant, org_unit_id=elsewhere.id)
    assert client_for(tenant, inside).get(f"/courses/{course.id}").status_code == 200
    assert client_for(tenant, outside).get(f"/courses/{course.id}").status_code == 404


def test_job_title_visibility_ignores_case(db, tenant_factory, user_factory, client_for, course_factory):
    tenant = tenant_factory()
    course = course_factory(
        tenant, "Fryer Safety", visibility="restricted", audiences={"job_title": ["Line cook"]}
    )
    cook = user_factory(tenant, job_title="line COOK")
    server = user_factory(tenant, job_title="Server")
    assert client_for(tenant, cook).get(f"/courses/{course.id}").status_code == 200
    assert client_for(tenant, server).get(f"/courses/{course.id}").status_code == 404


def test_drafts_and_unlisted_courses_are_not_in_the_catalog(
    tenant_factory, user_factory, client_for, course_factory
):
    tenant = tenant_factory()
    course_factory(tenant, "Draft Course", publish=False)
    course_factory(tenant, "Assigned Only", listed=False)
    course_factory(tenant, "Open Course")
    page = client_for(tenant, user_factory(tenant)).get("/catalog").get_data(as_text=True)
    assert "Open Course" in page and "Draft Course" not in page and "Assigned Only" not in page


def test_catalog_search_filter_and_sort(tenant_factory, user_factory, client_for, course_factory):
    tenant = tenant_factory()
    course_factory(tenant, "Knife Skills", category="Kitchen", tags=["knives"], duration_minutes=30)
    course_factory(
        tenant, "Allergen Awareness", category="Safety", tags=["allergens", "safety"], duration_minutes=10
    )
    course_factory(tenant, "Customer Service", category="Front of house", duration_minutes=20)
    client = client_for(tenant, user_factory(tenant))
    assert "Allergen Awareness" in client.get("/catalog?q=allergen").get_data(as_text=True)
    assert "Knife Skills" not in client.get("/catalog?q=allergen").get_data(as_text=True)
    by_category = client.get("/catalog?category=Kitchen").get_data(as_text=True)
    assert "Knife Skills" in by_category and "Customer Service" not in by_category
    by_tag = client.get("/catalog?tag=safety").get_data(as_text=True)
    assert "Allergen Awareness" in by_tag and "Knife Skills" not in by_tag
    shortest = client.get("/catalog?sort=shortest").get_data(as_text=True)
    assert (
        shortest.index("Allergen Awareness")
        < shortest.index("Customer Service")
        < shortest.index("Knife Skills")
    )
    partial = client.get("/catalog?q=knife", headers={"HX-Request": "true", "HX-Target": "catalog-results"})
    assert "<html" not in partial.get_data(as_text=True) and "1 course" in partial.get_data(as_text=True)


def test_self_enrolment_starts_the_course(db, tenant_factory, user_factory, client_for, course_factory):
    tenant = tenant_factory()
    course = course_factory(tenant, "Open Course")
    closed = course_factory(tenant, "Assigned Course", self_enroll=False)
    client = client_for(tenant, user_factory(tenant))
    token = csrf_token(client, f"/courses/{course.id}")
    response = client.post(f"/courses/{course.id}/enrol", data={"csrf_token": token})
    assert response.status_code == 302 and "/learn/" in response.headers["Location"]
    lesson_page = client.get(response.headers["Location"], follow_redirects=True).get_data(as_text=True)
    assert "Lesson 1" in lesson_page
    refused = client.post(f"/courses/{closed.id}/enrol", data={"csrf_token": token}, follow_redirects=True)
    assert "by assignment only" in refused.get_data(as_text=True)


def test_query_counts_stay_constant_as_courses_grow(
    db, tenant_factory, user_factory, client_for, course_factory, count_queries, enrol
):
    from sqlalchemy import select

    from app.learning.models import Course, Lesson
    from app.learning.services.enrollments import enrol as enrol_service

    def build(n: int):
        tenant = tenant_factory()
        learner = user_factory(tenant)
        with as_tenant(tenant):
            for i in range(n):
                course = Course(title=f"Course {i:04d}", status="published", tags=["t"], category="C")
                db.session.add(course)
                db.session.add(
                    Lesson(
                        course=course,
                        kind="page",
                        title="L",
                        position=1,
                        content={"markdown": "x", "html": "<p>x</p>"},
                    )
                )
            db.session.flush()
            courses = list(db.session.scalars(select(Course).order_by(Course.id).limit(20)))
            for course in courses:
                enrol_service(learner, course)
            db.session.commit()
        client = client_for(tenant, learner)
        counts = {}
        for path in ("/catalog", f"/courses/{courses[0].id}", "/"):
            client.get(path)  # warm up
            with count_queries() as counter:
                assert client.get(path).status_code == 200
            counts[path.split("/")[1] or "home"] = counter.count
        return counts

    small = build(10)
    large = build(1000)
    assert small == large, (small, large)
