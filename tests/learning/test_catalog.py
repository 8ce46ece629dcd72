"""Learners see what they may see (groups, org units, job titles); search, filters and self-enrolment."""

from __future__ import annotations

from sqlalchemy import select

from app.accounts.services import add_group_members, create_group, create_org_unit
from app.learning.models import Enrollment
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


def test_catalog_filters_offer_each_category_and_topic_of_the_courses_the_learner_sees_once(
    db, tenant_factory, user_factory, client_for, course_factory
):
    import re

    tenant = tenant_factory()
    with as_tenant(tenant):
        managers = create_group("Managers only")
        db.session.commit()
    course_factory(tenant, "Knife Skills", category="Kitchen", tags=["knives", "safety"])
    course_factory(tenant, "Allergens", category="Kitchen", tags=["safety", "allergens"])
    course_factory(tenant, "Untagged", category="", tags=[])
    course_factory(tenant, "No Category", tags=["Zebra", "apron"])
    course_factory(tenant, "Secret", category="Boardroom", tags=["secret"], visibility="restricted",
                   audiences={"group": [str(managers.id)]})  # fmt: skip
    course_factory(tenant, "Draft", category="Drafts", tags=["draft"], publish=False)
    course_factory(tenant, "Unlisted", category="Hidden", tags=["unlisted"], listed=False)
    other = tenant_factory()
    course_factory(other, "Elsewhere", category="Other tenant", tags=["foreign"])
    page = client_for(tenant, user_factory(tenant)).get("/catalog?q=knife").get_data(as_text=True)

    def options(select_id: str) -> list[str]:
        select = re.search(rf'<select id="{select_id}".*?</select>', page, re.S)
        assert select is not None
        return re.findall(r'<option dir="auto" value="([^"]*)"', select.group(0))

    # The filters describe the whole visible catalog, not only the search results.
    assert options("category") == ["Kitchen"]
    assert options("tag") == ["allergens", "apron", "knives", "safety", "zebra"]


def test_learner_pages_send_the_same_statements_whatever_the_catalog_size(
    db, tenant_factory, user_factory, client_for, count_queries
):
    from app.learning.models import Audience, Course, Lesson
    from app.learning.services import courses as authoring
    from app.learning.services.enrollments import enrol, enrol_in_path
    from app.learning.services.progress import record_event

    def build(n: int) -> dict[str, int]:
        tenant = tenant_factory()
        with as_tenant(tenant):
            group = create_group("Crew")
            db.session.flush()
        learner = user_factory(tenant)
        with as_tenant(tenant):
            add_group_members(group, [learner.id])
            courses = []
            for i in range(n):
                restricted = i % 4 == 0
                course = Course(
                    title=f"Course {i:04d}",
                    status="published",
                    category=f"Category {i % (n // 5)}",
                    tags=[f"topic-{i % (n // 3)}", f"topic-{(i + 1) % (n // 3)}"],
                    duration_minutes=i % 50,
                    visibility="restricted" if restricted else "everyone",
                )
                db.session.add(course)
                db.session.add(Lesson(course=course, kind="page", title="L", position=1,
                                      content={"markdown": "x", "html": "<p>x</p>"}))  # fmt: skip
                courses.append(course)
            db.session.flush()
            for course in courses[::4]:  # restricted to the learner's group
                db.session.add(Audience(course_id=course.id, kind="group", value=str(group.id)))
            path = authoring.create_path({"title": "Onboarding", "self_enroll": True})
            authoring.set_path_courses(path, [courses[1].id, courses[2].id, courses[3].id])
            authoring.set_path_status(path, "published")
            enrol_in_path(learner, path)
            for course in courses[5:25]:
                enrol(learner, course)
            first = db.session.scalars(select(Enrollment).where(Enrollment.course_id == courses[1].id)).one()
            record_event(first, courses[1].lessons[0], "viewed_to_end")  # completed: next in the path
            db.session.commit()
        client = client_for(tenant, learner)
        pages = {
            "catalog": "/catalog",
            "search": "/catalog?q=course%200",
            "topic": "/catalog?tag=topic-1&sort=newest",
            "category": "/catalog?category=Category%201&sort=shortest",
            "page 2": "/catalog?page=2",
            "past the last page": "/catalog?page=50",
            "home": "/",
            "completed course": f"/courses/{courses[1].id}",
            "course not enrolled": f"/courses/{courses[-1].id}",
        }
        counts = {}
        for name, path_ in pages.items():
            client.get(path_)  # warm up
            with count_queries() as counter:
                # Past the last page: sent on to the last one (counted too: as many at 300 courses as at 30).
                assert client.get(path_).status_code == (302 if name == "past the last page" else 200)
            counts[name] = counter.count
        with count_queries() as counter:
            partial = client.get(
                "/catalog?q=course", headers={"HX-Request": "true", "HX-Target": "catalog-results"}
            )
            assert partial.status_code == 200
        counts["search as htmx"] = counter.count
        # The pages show what the counts are about: the next course of the path, and the learner's own.
        assert 'class="next-in-path"' in client.get(f"/courses/{courses[1].id}").get_data(as_text=True)
        last = client.get("/catalog?page=50", follow_redirects=True)
        assert f"{n} courses" in last.get_data(as_text=True)
        assert last.request.full_path == f"/catalog?page={(n + 23) // 24}"
        home = client.get("/").get_data(as_text=True)
        assert 'class="next-in-path"' in home and "Course 0005" in home
        return counts

    small = build(30)
    large = build(300)
    assert small == large, (small, large)


def test_two_portals_with_the_same_audience_each_see_only_their_own_catalog(
    db, tenant_factory, user_factory, client_for, course_factory
):
    """The catalog's statements are built once per audience, shared by portals: each runs in its own."""
    from app.learning.services import courses as authoring

    pages = {}
    for name in ("North", "South"):
        tenant = tenant_factory()
        first = course_factory(
            tenant, f"{name} Knife Skills", category=f"{name} kitchen", tags=[name.lower()]
        )
        with as_tenant(tenant):
            path = authoring.create_path({"title": f"{name} & Co path", "self_enroll": True})
            authoring.set_path_courses(path, [first.id])
            authoring.set_path_status(path, "published")
            db.session.commit()
        client = client_for(tenant, user_factory(tenant))
        pages[name] = (
            client.get("/catalog").get_data(as_text=True),
            client.get(f"/catalog?q=knife&category={name}%20kitchen&tag={name.lower()}").get_data(
                as_text=True
            ),
        )
    for name, other in (("North", "South"), ("South", "North")):
        catalog, search = pages[name]
        assert f"<bdi>{name} &amp; Co path</bdi>" in catalog and "1 course</p>" in catalog
        assert f"{name} Knife Skills" in catalog and f"{name} Knife Skills" in search
        assert other not in catalog and other not in search
