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
