"""Parallel requests enrol a person once and record a lesson's progress once; nobody sees an error page.

A double click, two tabs, a manager and an admin assigning the same course, a rule run twice:
whichever request comes second finds the enrolment (or the lesson's progress) the first one made.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from sqlalchemy import func, select

from app.audit.models import AuditEvent
from app.events import OutboxEvent
from app.learning.models import Enrollment, LessonProgress, PathEnrollment
from app.learning.services import courses as authoring
from app.tenancy import as_tenant
from tests.concurrency import LiveClient, LiveResponse, in_parallel

# SQLite serialises writers (and may answer "database is locked" under load): the races are PostgreSQL's.
pytestmark = pytest.mark.postgres

PARALLEL = 10


def _all_succeeded(responses: list[LiveResponse]) -> None:
    assert all(200 <= r.status < 400 for r in responses), [(r.status, r.text[:300]) for r in responses]


def _counts(db: Any, tenant: Any, **where: Any) -> tuple[int, int, int]:
    """Current enrolments matching *where*, and the enrollment.created audit rows and events of the tenant."""
    with as_tenant(tenant):
        enrollments = db.session.scalar(
            select(func.count(Enrollment.id)).filter_by(withdrawn_at=None, **where)
        )
        audited = db.session.scalar(
            select(func.count(AuditEvent.id)).where(AuditEvent.action == "enrollment.created")
        )
        events = db.session.scalar(
            select(func.count(OutboxEvent.id)).where(OutboxEvent.type == "enrollment.created")
        )
    return enrollments, audited, events


def _signed_in(live_port: int, tenant: Any, user: Any) -> LiveClient:
    client = LiveClient(live_port, tenant)
    client.sign_in(user.email)
    return client


def _email() -> str:
    return f"{uuid.uuid4().hex[:8]}@example.com"


def test_parallel_self_enrolments_make_one_enrolment_and_all_land_in_the_course(
    db, tenant_factory, user_factory, course_factory, live_port
):
    tenant = tenant_factory()
    course = course_factory(tenant, "Fryer Safety")
    learner = user_factory(tenant, _email())
    client = _signed_in(live_port, tenant, learner)
    url = f"/courses/{course.id}/enrol"
    token = client.csrf_token(f"/courses/{course.id}")
    responses = in_parallel(PARALLEL, lambda _: client.post(url, {"csrf_token": token}))
    _all_succeeded(responses)
    assert _counts(db, tenant, course_id=course.id) == (1, 1, 1)
    with as_tenant(tenant):
        enrollment_id = db.session.scalars(
            select(Enrollment.id).where(Enrollment.course_id == course.id)
        ).one()
    assert {r.location for r in responses} == {f"/learn/{enrollment_id}"}


def test_parallel_manager_assignments_enrol_each_person_once(
    db, tenant_factory, user_factory, course_factory, live_port
):
    from app.accounts.services import create_org_unit

    tenant = tenant_factory()
    with as_tenant(tenant):
        downtown = create_org_unit("Downtown", "location")
        db.session.commit()
    manager = user_factory(tenant, _email(), roles=("manager", "learner"), org_unit_id=downtown.id)
    crew = [user_factory(tenant, org_unit_id=downtown.id) for _ in range(3)]
    course = course_factory(tenant, "Fryer Safety")
    client = _signed_in(live_port, tenant, manager)
    form = {
        "csrf_token": client.csrf_token("/team/"),
        "people": [str(person.id) for person in crew],
        "course_id": str(course.id),
        "due_mode": "none",
    }
    responses = in_parallel(PARALLEL, lambda _: client.post("/team/assign", form))
    _all_succeeded(responses)
    assert {r.location for r in responses} == {"/team/"}
    assert _counts(db, tenant, course_id=course.id) == (3, 3, 3)


def test_parallel_admin_enrolments_of_a_group_enrol_each_member_once(
    db, tenant_factory, user_factory, course_factory, live_port
):
    from app.accounts.services import add_group_members, create_group

    tenant = tenant_factory()
    members = [user_factory(tenant) for _ in range(3)]
    with as_tenant(tenant):
        group = create_group("Night shift")
        add_group_members(group, [person.id for person in members])
        db.session.commit()
    admin = user_factory(tenant, _email(), roles=("tenant_admin",))
    course = course_factory(tenant, "Fryer Safety")
    client = _signed_in(live_port, tenant, admin)
    url = f"/admin/courses/{course.id}/enrollments"
    form = {"csrf_token": client.csrf_token(url), "group_id": str(group.id), "due_mode": "none"}
    responses = in_parallel(PARALLEL, lambda _: client.post(url, form))
    _all_succeeded(responses)
    assert {r.location for r in responses} == {url}
    assert _counts(db, tenant, course_id=course.id) == (3, 3, 3)


def test_parallel_rule_runs_enrol_each_matching_person_once(
    db, tenant_factory, user_factory, course_factory, live_port
):
    from app.accounts.services import create_org_unit
    from app.learning.services.rules import RuleDraft, save_rule

    tenant = tenant_factory()
    with as_tenant(tenant):
        downtown = create_org_unit("Downtown", "location")
        db.session.commit()
    crew = [user_factory(tenant, org_unit_id=downtown.id) for _ in range(3)]
    admin = user_factory(tenant, _email(), roles=("tenant_admin",))
    course = course_factory(tenant, "Fryer Safety")
    with as_tenant(tenant):
        rule = save_rule(
            None,
            RuleDraft(
                name="Downtown crew",
                match="all",
                course=course,
                path=None,
                due_mode="none",
                due_days=None,
                due_date=None,
                conditions=[{"field": "org_unit", "op": "is", "value": str(downtown.id)}],
            ),
        )
        db.session.commit()
    client = _signed_in(live_port, tenant, admin)
    token = client.csrf_token("/admin/rules")
    responses = in_parallel(
        PARALLEL, lambda _: client.post(f"/admin/rules/{rule.id}/run", {"csrf_token": token})
    )
    _all_succeeded(responses)
    assert _counts(db, tenant, course_id=course.id) == (len(crew), len(crew), len(crew))


def test_parallel_path_enrolments_make_one_path_enrolment_and_one_in_its_first_course(
    db, tenant_factory, user_factory, course_factory, live_port
):
    tenant = tenant_factory()
    first = course_factory(tenant, "Widgets 101", lessons=1)
    second = course_factory(tenant, "Discovery", lessons=1)
    with as_tenant(tenant):
        path = authoring.create_path({"title": "Selling Widgets", "self_enroll": True})
        authoring.set_path_courses(path, [first.id, second.id])
        authoring.set_path_status(path, "published")
        db.session.commit()
    learner = user_factory(tenant, _email())
    client = _signed_in(live_port, tenant, learner)
    url = f"/paths/{path.id}"
    token = client.csrf_token(url)
    responses = in_parallel(PARALLEL, lambda _: client.post(f"{url}/enrol", {"csrf_token": token}))
    _all_succeeded(responses)
    assert {r.location for r in responses} == {url}
    with as_tenant(tenant):
        path_enrollments = db.session.scalar(select(func.count(PathEnrollment.id)))
        path_audited = db.session.scalar(
            select(func.count(AuditEvent.id)).where(AuditEvent.action == "path_enrollment.created")
        )
    assert (path_enrollments, path_audited) == (1, 1)
    # The path's enrollment.created event and the first course's; the second course stays locked.
    assert _counts(db, tenant, course_id=first.id) == (1, 1, 2)
    assert _counts(db, tenant, course_id=second.id)[0] == 0


def test_parallel_first_opens_and_completions_of_a_lesson_record_it_once(
    db, tenant_factory, user_factory, course_factory, enrol, live_port
):
    tenant = tenant_factory()
    course = course_factory(tenant, "Fryer Safety", lessons=1)
    learner = user_factory(tenant, _email())
    enrollment = enrol(tenant, learner, course)
    lesson_id = course.lessons[0].id
    client = _signed_in(live_port, tenant, learner)
    url = f"/learn/{enrollment.id}/lessons/{lesson_id}"
    opened = in_parallel(PARALLEL, lambda _: client.get(url))
    assert [r.status for r in opened] == [200] * PARALLEL, [(r.status, r.text[:300]) for r in opened]
    token = client.csrf_token(url)
    # The page posts the visit once loaded (GET writes nothing): ten first visits record one row.
    visited = in_parallel(PARALLEL, lambda _: client.post(f"{url}/visit", {"csrf_token": token}))
    _all_succeeded(visited)
    with as_tenant(tenant):
        assert db.session.scalar(select(func.count(LessonProgress.id))) == 1
    form = {"csrf_token": token, "event": "viewed_to_end"}
    completed = in_parallel(PARALLEL, lambda _: client.post(f"{url}/progress", form))
    _all_succeeded(completed)
    # Home with "well done", or (a request that read the enrolment before another completed it) the lesson.
    assert "/" in {r.location for r in completed} and {r.location for r in completed} <= {"/", url}
    db.session.expire_all()  # the enrolment was loaded here before the requests changed it
    with as_tenant(tenant):
        progress = db.session.scalars(select(LessonProgress)).one()
        events = list(
            db.session.scalars(
                select(OutboxEvent.type).where(OutboxEvent.type.in_(["lesson.completed", "course.completed"]))
            )
        )
        audited = db.session.scalar(
            select(func.count(AuditEvent.id)).where(AuditEvent.action == "enrollment.completed")
        )
        stored = db.session.get(Enrollment, enrollment.id)
        assert stored is not None and stored.completed_at is not None and stored.progress_percent == 100
    assert progress.completed_at is not None and progress.percent == 100
    assert sorted(events) == ["course.completed", "lesson.completed"] and audited == 1
