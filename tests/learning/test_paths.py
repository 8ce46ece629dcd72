"""Learning paths: courses unlock in order; the path completes when its last course does."""

from __future__ import annotations

from sqlalchemy import select

from app.learning.models import Enrollment, PathEnrollment
from app.learning.services import courses as authoring
from app.learning.services.enrollments import enrol_in_path
from app.learning.services.progress import record_event
from app.tenancy import as_tenant


def test_enrolling_in_a_path_unlocks_courses_one_after_another(
    db, tenant_factory, user_factory, course_factory, client_for
):
    tenant = tenant_factory()
    first = course_factory(tenant, "Widgets 101", lessons=1)
    second = course_factory(tenant, "Discovery", lessons=1)
    learner = user_factory(tenant)
    with as_tenant(tenant):
        path = authoring.create_path({"title": "Selling Widgets", "self_enroll": True})
        authoring.set_path_courses(path, [first.id, second.id])
        authoring.set_path_status(path, "published")
        enrol_in_path(learner, path)
        db.session.commit()
        enrolled = list(
            db.session.scalars(select(Enrollment.course_id).where(Enrollment.user_id == learner.id))
        )
        assert enrolled == [first.id]  # the second is locked
    page = client_for(tenant, learner).get(f"/paths/{path.id}").get_data(as_text=True)
    assert "Locked" in page and "Unlocks when the courses before it are complete." in page
    with as_tenant(tenant):
        enrollment = db.session.scalars(select(Enrollment).where(Enrollment.course_id == first.id)).one()
        record_event(enrollment, first.lessons[0], "viewed_to_end")
        second_enrollment = db.session.scalars(
            select(Enrollment).where(Enrollment.course_id == second.id)
        ).one()
        assert second_enrollment.source == "path"
        record_event(second_enrollment, second.lessons[0], "viewed_to_end")
        path_enrollment = db.session.scalars(select(PathEnrollment)).one()
        assert path_enrollment.status == "completed" and path_enrollment.completed_at is not None
        db.session.commit()


def test_a_path_cannot_be_published_with_draft_courses(db, tenant_factory, course_factory):
    import pytest

    from app.errors import ValidationError

    tenant = tenant_factory()
    draft = course_factory(tenant, "Not ready", publish=False)
    with as_tenant(tenant):
        path = authoring.create_path({"title": "Path"})
        authoring.set_path_courses(path, [draft.id])
        with pytest.raises(ValidationError, match="Publish these courses first"):
            authoring.set_path_status(path, "published")
        db.session.rollback()


def test_admin_enrols_a_group_in_a_path(db, tenant_factory, user_factory, course_factory, client_for):
    from app.accounts.services import add_group_members, create_group
    from tests.conftest import csrf_token

    tenant = tenant_factory()
    first = course_factory(tenant, "Widgets 101", lessons=1)
    second = course_factory(tenant, "Discovery", lessons=1)
    reps = [user_factory(tenant) for _ in range(2)]
    with as_tenant(tenant):
        path = authoring.create_path({"title": "Selling Widgets"})
        authoring.set_path_courses(path, [first.id, second.id])
        authoring.set_path_status(path, "published")
        group = create_group("Gold partners")
        db.session.flush()
        add_group_members(group, [r.id for r in reps])
        db.session.commit()
    admin = client_for(tenant, user_factory(tenant, roles=("tenant_admin",)))
    url = f"/admin/paths/{path.id}/enrollments"
    response = admin.post(
        url,
        data={
            "csrf_token": csrf_token(admin, url),
            "group_id": str(group.id),
            "due_mode": "after_enrolment",
            "due_days": "30",
        },
    )
    assert response.status_code == 302
    assert "2 enrolled; 0 were already enrolled." in admin.get(url).get_data(as_text=True)
    with as_tenant(tenant):
        courses = set(
            db.session.scalars(
                select(Enrollment.course_id).where(Enrollment.user_id.in_([r.id for r in reps]))
            )
        )
        assert courses == {first.id}  # the second course waits until the first is complete
        assert all(pe.due_on is not None for pe in db.session.scalars(select(PathEnrollment)))
