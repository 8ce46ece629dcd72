"""Admins and managers enrol people, groups and org units with due dates; withdrawing keeps history."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from app.accounts.services import add_group_members, create_group, create_org_unit
from app.learning.models import Enrollment
from app.tenancy import as_tenant
from tests.conftest import csrf_token


def test_enrol_an_org_unit_subtree_and_a_group_with_a_fixed_due_date(
    db, tenant_factory, user_factory, client_for, course_factory
):
    tenant = tenant_factory()
    with as_tenant(tenant):
        region = create_org_unit("Midwest", "region")
        db.session.flush()
        store = create_org_unit("Downtown", "location", region.id)
        group = create_group("Night shift")
        db.session.commit()
    in_store = user_factory(tenant, org_unit_id=store.id)
    in_group = user_factory(tenant)
    outsider = user_factory(tenant)
    with as_tenant(tenant):
        add_group_members(group, [in_group.id])
        db.session.commit()
    course = course_factory(tenant)
    admin = client_for(tenant, user_factory(tenant, roles=("tenant_admin",)))
    due = (date.today() + timedelta(days=30)).isoformat()
    token = csrf_token(admin, f"/admin/courses/{course.id}/enrollments")
    response = admin.post(
        f"/admin/courses/{course.id}/enrollments",
        data={
            "csrf_token": token,
            "org_unit_id": str(region.id),
            "group_id": str(group.id),
            "due_mode": "fixed",
            "due_date": due,
        },
    )
    assert response.status_code == 302
    page = admin.get(f"/admin/courses/{course.id}/enrollments").get_data(as_text=True)
    assert "2 enrolled; 0 were already enrolled." in page
    with as_tenant(tenant):
        rows = db.session.scalars(select(Enrollment).where(Enrollment.course_id == course.id)).all()
    assert {e.user_id for e in rows} == {in_store.id, in_group.id} and outsider.id not in {
        e.user_id for e in rows
    }
    assert all(e.due_on.isoformat() == due for e in rows)
    # Again: nobody is enrolled twice.
    token = csrf_token(admin, f"/admin/courses/{course.id}/enrollments")
    admin.post(
        f"/admin/courses/{course.id}/enrollments",
        data={"csrf_token": token, "group_id": str(group.id), "due_mode": "none"},
    )
    assert "0 enrolled; 1 were already enrolled." in admin.get(
        f"/admin/courses/{course.id}/enrollments"
    ).get_data(as_text=True)


def test_withdrawing_keeps_progress_and_allows_enrolling_again(
    db, tenant_factory, user_factory, client_for, course_factory, enrol
):
    tenant = tenant_factory()
    course = course_factory(tenant)
    learner = user_factory(tenant)
    enrollment = enrol(tenant, learner, course)
    admin = client_for(tenant, user_factory(tenant, roles=("tenant_admin",)))
    token = csrf_token(admin, f"/admin/courses/{course.id}/enrollments")
    admin.post(f"/admin/enrollments/{enrollment.id}/withdraw", data={"csrf_token": token})
    with as_tenant(tenant):
        db.session.expire_all()
        kept = db.session.get(Enrollment, enrollment.id)
        assert kept.status == "withdrawn" and kept.withdrawn_at is not None
    again = enrol(tenant, learner, course)
    assert again.id != enrollment.id


def test_overdue_is_said_in_words_not_only_colour(
    db, tenant_factory, user_factory, client_for, course_factory, enrol
):
    tenant = tenant_factory()
    course = course_factory(tenant, "Late Course")
    learner = user_factory(tenant)
    enrol(tenant, learner, course, due_on=date.today() - timedelta(days=3))
    page = client_for(tenant, learner).get("/").get_data(as_text=True)
    assert "<strong>Overdue</strong>" in page and "card-overdue" in page


def test_manager_sees_only_their_people_and_assigns_training(
    db, tenant_factory, user_factory, client_for, course_factory
):
    tenant = tenant_factory()
    with as_tenant(tenant):
        downtown = create_org_unit("Downtown", "location")
        riverside = create_org_unit("Riverside", "location")
        db.session.commit()
    manager = user_factory(tenant, roles=("manager", "learner"), org_unit_id=downtown.id, full_name="Morgan")
    crew = user_factory(tenant, org_unit_id=downtown.id, full_name="Casey Crew")
    report = user_factory(tenant, org_unit_id=riverside.id, manager_id=manager.id, full_name="Remy Report")
    stranger = user_factory(tenant, org_unit_id=riverside.id, full_name="Sam Stranger")
    course = course_factory(tenant, "Fryer Safety")
    client = client_for(tenant, manager)
    page = client.get("/team/").get_data(as_text=True)
    assert "Casey Crew" in page and "Remy Report" in page and "Sam Stranger" not in page
    token = csrf_token(client, "/team/")
    client.post(
        "/team/assign",
        data={
            "csrf_token": token,
            "people": [str(crew.id), str(report.id)],
            "course_id": str(course.id),
            "due_mode": "after_enrolment",
            "due_days": "7",
        },
    )
    with as_tenant(tenant):
        rows = db.session.scalars(select(Enrollment).where(Enrollment.course_id == course.id)).all()
    assert {e.user_id for e in rows} == {crew.id, report.id} and all(e.source == "manager" for e in rows)
    refused = client.post(
        "/team/assign", data={"csrf_token": token, "people": [str(stranger.id)], "course_id": str(course.id)}
    )
    assert refused.status_code == 404


def test_assigning_with_days_but_no_number_or_a_past_date_is_refused_and_keeps_what_was_typed(
    db, tenant_factory, user_factory, client_for, course_factory
):
    tenant = tenant_factory()
    learner = user_factory(tenant, full_name="Lee Learner")
    course = course_factory(tenant)
    admin = client_for(tenant, user_factory(tenant, roles=("tenant_admin",)))
    url = f"/admin/courses/{course.id}/enrollments"

    no_days = admin.post(
        url,
        data={
            "csrf_token": csrf_token(admin, url),
            "people": [str(learner.id)],
            "due_mode": "after_enrolment",
            "due_days": "",
        },
    )
    page = no_days.get_data(as_text=True)
    assert no_days.status_code == 422
    assert "Enter the number of days until it is due" in page
    assert '<option selected value="after_enrolment">' in page
    assert f'checked id="people-0" name="people" type="checkbox" value="{learner.id}"' in page

    yesterday = (date.today() - timedelta(days=2)).isoformat()
    past = admin.post(
        url,
        data={
            "csrf_token": csrf_token(admin, url),
            "people": [str(learner.id)],
            "due_mode": "fixed",
            "due_date": yesterday,
        },
    )
    page = past.get_data(as_text=True)
    assert past.status_code == 422
    assert "has passed: choose today or a later date" in page and f'value="{yesterday}"' in page
    with as_tenant(tenant):
        assert db.session.scalars(select(Enrollment).where(Enrollment.course_id == course.id)).all() == []


def test_manager_assigning_n_days_without_a_number_is_told_what_to_fix_and_nothing_is_assigned(
    db, tenant_factory, user_factory, client_for, course_factory
):
    tenant = tenant_factory()
    manager = user_factory(tenant, roles=("manager", "learner"), full_name="Morgan")
    report = user_factory(tenant, manager_id=manager.id, full_name="Remy Report")
    course = course_factory(tenant, "Fryer Safety")
    client = client_for(tenant, manager)
    response = client.post(
        "/team/assign",
        data={
            "csrf_token": csrf_token(client, "/team/"),
            "people": [str(report.id)],
            "course_id": str(course.id),
            "due_mode": "after_enrolment",
            "due_days": "",
        },
        follow_redirects=True,
    )
    assert "Enter the number of days until it is due" in response.get_data(as_text=True)
    with as_tenant(tenant):
        assert db.session.scalars(select(Enrollment).where(Enrollment.course_id == course.id)).all() == []
