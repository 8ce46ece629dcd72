"""A finished course says so (no "Continue") and points to what comes next in its path."""

from __future__ import annotations

import re

import lxml.html  # installed with svglib (certificate PDFs)

from app.learning.services import courses as authoring
from app.learning.services import progress
from app.learning.services.enrollments import enrol_in_path
from app.tenancy import as_tenant


def _finish(db, tenant, enrollment):
    with as_tenant(tenant):
        for lesson in progress.lessons_of(enrollment):
            progress.complete_lesson(enrollment, lesson)
        db.session.commit()
        assert enrollment.completed_at is not None


def _text(response):
    assert response.status_code == 200
    return re.sub(r"<[^>]+>", "", response.get_data(as_text=True))


def test_a_completed_course_offers_review_not_continue(
    db, tenant_factory, user_factory, course_factory, enrol, client_for
):
    tenant = tenant_factory()
    learner = user_factory(tenant)
    course = course_factory(tenant, "Fryer safety")
    enrollment = enrol(tenant, learner, course)
    client = client_for(tenant, learner)
    assert "Start" in _text(client.get(f"/courses/{course.id}"))
    _finish(db, tenant, enrollment)

    for path in ("/", f"/courses/{course.id}"):
        page = _text(client.get(path))
        assert "Fryer safety" in page and "Review" in page, path
        assert "Continue" not in page, path


def test_a_finished_course_in_a_path_links_to_the_next_course(
    db, tenant_factory, user_factory, course_factory, enrol, client_for
):
    tenant = tenant_factory()
    learner = user_factory(tenant)
    first = course_factory(tenant, "Knife skills 1")
    second = course_factory(tenant, "Knife skills 2")
    with as_tenant(tenant):
        path = authoring.create_path({"title": "Knife skills", "self_enroll": True})
        authoring.set_path_courses(path, [first.id, second.id])
        authoring.set_path_status(path, "published")
        enrol_in_path(learner, path)
        db.session.commit()
    enrollment = enrol(tenant, learner, first)
    client = client_for(tenant, learner)
    assert "Next in" not in _text(client.get(f"/courses/{first.id}"))
    _finish(db, tenant, enrollment)

    course_page = lxml.html.fromstring(client.get(f"/courses/{first.id}").get_data(as_text=True))
    links = [
        (a.get("href"), a.text_content().strip())
        for a in course_page.xpath("//a")
        if a.text_content().strip().startswith("Next in")
    ]
    assert links == [(f"/courses/{second.id}", "Next in Knife skills: Knife skills 2")]
    home = _text(client.get("/"))
    assert "Next in Knife skills: Knife skills 2" in home
    # The last course of the path has nothing after it.
    assert "Next in" not in _text(client.get(f"/courses/{second.id}"))


def test_course_and_lesson_pages_cost_the_same_few_statements_for_3_or_12_lessons(
    db, tenant_factory, user_factory, course_factory, enrol, client_for, count_queries
):
    counts = []
    for size in (3, 12):
        tenant = tenant_factory()
        learner = user_factory(tenant)
        course = course_factory(tenant, "Sized", lessons=size)
        with as_tenant(tenant):
            path = authoring.create_path({"title": "Sized path", "self_enroll": True})
            authoring.set_path_courses(path, [course.id])
            authoring.set_path_status(path, "published")
            db.session.commit()
        enrollment = enrol(tenant, learner, course)
        with as_tenant(tenant):
            lessons = progress.lessons_of(enrollment)
            progress.complete_lesson(enrollment, lessons[0])
            db.session.commit()
            lesson_id = lessons[1].id
        client = client_for(tenant, learner)
        pages = {"course": f"/courses/{course.id}", "lesson": f"/learn/{enrollment.id}/lessons/{lesson_id}"}
        measured = {}
        for name, url in pages.items():
            client.get(url)  # warm caches (templates, translations)
            with count_queries() as counter:
                page = _text(client.get(url))
            assert "Sized path" in page or name == "lesson"
            measured[name] = counter.count
        counts.append(measured)
    assert counts[0] == counts[1], counts
    # The course page: the person, the course with its lessons and the enrollment with its progress, the
    # paths it is in; the lesson page: the person, the enrollment with its course, lessons and progress.
    assert counts[0]["course"] <= 4 and counts[0]["lesson"] <= 3, counts


def test_course_and_lesson_pages_load_no_column_they_left_out(
    db, tenant_factory, user_factory, course_factory, enrol, client_for, count_queries
):
    """The pages select only the columns they show: one they read but left out would load on its own."""
    tenant = tenant_factory()
    learner = user_factory(tenant)
    course = course_factory(tenant, "Lean <pages> & co", lessons=3)
    enrollment = enrol(tenant, learner, course)
    with as_tenant(tenant):
        lessons = progress.lessons_of(enrollment)
        progress.complete_lesson(enrollment, lessons[0])
        db.session.commit()
        lesson_ids = [lesson.id for lesson in lessons]
    client = client_for(tenant, learner)
    for url, statements in (
        (f"/courses/{course.id}", 3),
        (f"/learn/{enrollment.id}/lessons/{lesson_ids[1]}", 2),
    ):
        client.get(url)  # warm caches (templates, translations)
        with count_queries() as counter:
            page = client.get(url).get_data(as_text=True)
        assert counter.count == statements, (url, counter.count)
        assert "Lean &lt;pages&gt; &amp; co" in page


def test_my_learning_lists_each_path_once_with_its_number_of_courses(
    db, tenant_factory, user_factory, course_factory, client_for
):
    tenant = tenant_factory()
    learner = user_factory(tenant)
    courses = [course_factory(tenant, f"Bakery {n}") for n in range(1, 4)]
    with as_tenant(tenant):
        for title, steps in (("Bread", courses), ("Pastry", courses[:2])):
            path = authoring.create_path({"title": title, "self_enroll": True})
            authoring.set_path_courses(path, [course.id for course in steps])
            authoring.set_path_status(path, "published")
            enrol_in_path(learner, path)
        db.session.commit()

    home = lxml.html.fromstring(client_for(tenant, learner).get("/").get_data(as_text=True))
    section = home.xpath("//section[@aria-labelledby='paths-heading']")[0]
    cards = [" ".join(li.text_content().split()) for li in section.xpath(".//li")]
    assert cards == ["Bread 3 courses", "Pastry 2 courses"]


def _suggested(client):
    home = lxml.html.fromstring(client.get("/").get_data(as_text=True))
    section = home.xpath("//section[@aria-labelledby='suggestions-heading']")
    return sorted(a.text_content().strip() for a in section[0].xpath(".//h3/a")) if section else []


def test_my_learning_suggests_restricted_courses_only_to_their_audience(
    db, tenant_factory, user_factory, course_factory, client_for
):
    from app.accounts.services import add_group_members, create_group, create_org_unit

    tenant = tenant_factory()
    with as_tenant(tenant):
        bakers = create_group("Bakers")
        region = create_org_unit("North", "region")
        db.session.flush()
        store = create_org_unit("North store", "location", region.id)
        elsewhere = create_org_unit("South", "region")
        db.session.commit()
    course_factory(tenant, "For bakers", visibility="restricted", audiences={"group": [str(bakers.id)]})
    course_factory(tenant, "For the north", visibility="restricted", audiences={"org_unit": [str(region.id)]})
    course_factory(tenant, "For cooks", visibility="restricted", audiences={"job_title": ["Line cook"]})
    baker = user_factory(tenant, org_unit_id=elsewhere.id)
    northerner = user_factory(tenant, org_unit_id=store.id)
    cook = user_factory(tenant, job_title=" line COOK ")
    nobody = user_factory(tenant)
    with as_tenant(tenant):
        add_group_members(bakers, [baker.id])
        db.session.commit()

    assert _suggested(client_for(tenant, baker)) == ["For bakers"]
    assert _suggested(client_for(tenant, northerner)) == ["For the north"]  # their unit is below it
    assert _suggested(client_for(tenant, cook)) == ["For cooks"]
    assert _suggested(client_for(tenant, nobody)) == []


def test_the_next_course_in_a_path_is_offered_only_from_a_path_the_learner_may_see(
    db, tenant_factory, user_factory, course_factory, enrol, client_for
):
    from app.accounts.services import create_org_unit

    tenant = tenant_factory()
    with as_tenant(tenant):
        region = create_org_unit("North", "region")
        elsewhere = create_org_unit("South", "region")
        db.session.commit()
    first = course_factory(tenant, "Ovens 1")
    second = course_factory(tenant, "Ovens 2")
    with as_tenant(tenant):
        path = authoring.create_path(
            {"title": "Ovens", "self_enroll": True},
            visibility="restricted",
            audiences={"org_unit": [str(region.id)]},
        )
        authoring.set_path_courses(path, [first.id, second.id])
        authoring.set_path_status(path, "published")
        db.session.commit()
    inside = user_factory(tenant, org_unit_id=region.id)
    outside = user_factory(tenant, org_unit_id=elsewhere.id)
    for learner in (inside, outside):
        _finish(db, tenant, enrol(tenant, learner, first))
    assert "Next in Ovens: Ovens 2" in _text(client_for(tenant, inside).get("/"))
    assert "Next in" not in _text(client_for(tenant, outside).get("/"))


def test_my_learning_costs_the_same_statements_for_a_little_or_a_lot_of_learning(
    db, tenant_factory, user_factory, course_factory, enrol, client_for, count_queries
):
    from app.accounts.services import create_org_unit

    counts = []
    for size in (1, 4):
        tenant = tenant_factory()
        with as_tenant(tenant):
            unit = None
            for level in range(size):  # a deeper tree above the learner
                unit = create_org_unit(f"Level {level}", "region", unit.id if unit else None)
                db.session.flush()
            db.session.commit()
        learner = user_factory(tenant, org_unit_id=unit.id)
        courses = [course_factory(tenant, f"Course {n}", lessons=1) for n in range(3 * size)]
        with as_tenant(tenant):
            path = authoring.create_path({"title": "Everything", "self_enroll": True})
            authoring.set_path_courses(path, [course.id for course in courses])
            authoring.set_path_status(path, "published")
            enrol_in_path(learner, path)
            db.session.commit()
        for course in courses[:size]:
            _finish(db, tenant, enrol(tenant, learner, course))
        for course in courses[size : 2 * size]:
            enrol(tenant, learner, course)
        client = client_for(tenant, learner)
        client.get("/")  # warm up
        with count_queries() as counter:
            assert "Next in Everything" in _text(client.get("/"))
        counts.append(counter.count)
    # The session, enrolments, paths, suggestions, next in paths, policies and certifications: who the
    # learner is (their groups and units) is found inside the statements that need it.
    assert counts[0] == counts[1] <= 7, counts


def test_a_spanish_learner_reads_their_path_and_what_comes_next_in_spanish_on_my_learning(
    db, tenant_factory, user_factory, course_factory, enrol, client_for
):
    from app.multilingual import services as translations
    from app.multilingual.kinds import kind_named

    tenant = tenant_factory(enabled_locales=["en", "es"], default_locale="en")
    first = course_factory(tenant, "Knife skills 1")
    second = course_factory(tenant, "Knife skills 2")
    with as_tenant(tenant):
        path = authoring.create_path({"title": "Knife skills", "self_enroll": True})
        authoring.set_path_courses(path, [first.id, second.id])
        authoring.set_path_status(path, "published")
        translations.save_translation(kind_named("path"), path, "es", {"title": "Cuchillos"})
        translations.save_translation(
            kind_named("course"), db.session.merge(second), "es", {"title": "Cuchillos 2"}
        )
        db.session.commit()
    for learner in (user_factory(tenant, locale="es"), user_factory(tenant, locale="en")):
        with as_tenant(tenant):
            enrol_in_path(db.session.merge(learner), path)
            db.session.commit()
        _finish(db, tenant, enrol(tenant, learner, first))
        page = lxml.html.fromstring(client_for(tenant, learner).get("/").get_data(as_text=True))
        paths = [
            " ".join(h.text_content().split())
            for h in page.xpath("//section[@aria-labelledby='paths-heading']//h3")
        ]
        following = [" ".join(p.text_content().split()) for p in page.xpath("//p[@class='next-in-path']")]
        if learner.locale == "es":
            assert (paths, following) == (["Cuchillos"], ["Siguiente en Cuchillos: Cuchillos 2"])
        else:
            assert (paths, following) == (["Knife skills"], ["Next in Knife skills: Knife skills 2"])


def test_a_completed_card_shows_the_day_it_was_finished_in_the_learners_time_zone(
    db, tenant_factory, user_factory, course_factory, enrol, client_for
):
    from datetime import UTC, datetime

    tenant = tenant_factory()
    course = course_factory(tenant, "Fryer safety")
    for zone, shown in (("Pacific/Auckland", "Jan 2, 2026"), ("America/Los_Angeles", "Jan 1, 2026")):
        learner = user_factory(tenant)
        enrollment = enrol(tenant, learner, course)
        _finish(db, tenant, enrollment)
        with as_tenant(tenant):
            db.session.merge(learner).time_zone = zone
            # 20:00 on New Year's Day in UTC: the next morning in Auckland, midday in Los Angeles.
            db.session.merge(enrollment).completed_at = datetime(2026, 1, 1, 20, 0, tzinfo=UTC)
            db.session.commit()
        page = lxml.html.fromstring(client_for(tenant, learner).get("/").get_data(as_text=True))
        done = page.xpath("//section[@aria-labelledby='completed-heading']//li[@class='card']/p[not(@class)]")
        assert [" ".join(p.text_content().split()) for p in done] == [f"Completed {shown}"]
