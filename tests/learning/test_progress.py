"""Lessons complete as their kind says; courses complete when every required lesson does; learners resume."""

from __future__ import annotations

import io

from PIL import Image
from sqlalchemy import select

from app.events import OutboxEvent
from app.learning.lesson_kinds import Upload
from app.learning.models import Enrollment
from app.learning.services import courses as authoring
from app.tenancy import as_tenant
from tests.conftest import csrf_token


def _progress(client, enrollment, lesson_id, event, value=None, json=True):
    token = csrf_token(client, f"/learn/{enrollment.id}/lessons/{lesson_id}")
    data = {"csrf_token": token, "event": event}
    if value is not None:
        data["value"] = str(value)
    headers = {"Accept": "application/json"} if json else {}
    return client.post(f"/learn/{enrollment.id}/lessons/{lesson_id}/progress", data=data, headers=headers)


def _pdf() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (50, 50), "white").save(out, format="PDF")
    return out.getvalue()


def test_taking_a_course_to_completion(db, tenant_factory, user_factory, client_for, course_factory, enrol):
    tenant = tenant_factory()
    course = course_factory(tenant, "Food Safety Basics", lessons=1, publish=False)
    with as_tenant(tenant):
        authoring.add_lesson(
            course, "video", "Temperatures", True, {"video_url": "https://example.com/v.mp4"}, {}
        )
        authoring.add_lesson(
            course, "file", "Checklist", True, {}, {"document_file": Upload("list.pdf", _pdf())}
        )
        authoring.add_lesson(course, "page", "Extra reading", False, {"body": "Optional."}, {})
        authoring.set_course_status(course, "published")
        db.session.commit()
    learner = user_factory(tenant)
    enrollment = enrol(tenant, learner, course)
    client = client_for(tenant, learner)
    lessons = course.lessons
    page, video, document = lessons[0], lessons[1], lessons[2]

    assert client.get(f"/learn/{enrollment.id}").headers["Location"].endswith(f"/lessons/{page.id}")
    assert _progress(client, enrollment, page.id, "viewed_to_end").get_json()["completed"] is True
    # The video is complete only from 90 % watched.
    assert _progress(client, enrollment, video.id, "watched", 60).get_json()["completed"] is False
    assert _progress(client, enrollment, video.id, "watched", 91).get_json()["completed"] is True
    # Resume goes to the first unfinished lesson.
    assert client.get(f"/learn/{enrollment.id}").headers["Location"].endswith(f"/lessons/{document.id}")
    # The lesson's download button posts (a GET writes nothing); the file comes back all the same.
    token = csrf_token(client, f"/learn/{enrollment.id}/lessons/{document.id}")
    download = client.post(
        f"/learn/{enrollment.id}/lessons/{document.id}/download", data={"csrf_token": token}
    )
    assert download.status_code == 200 and download.mimetype == "application/pdf"
    assert (
        "attachment" in download.headers["Content-Disposition"]
        and "list.pdf" in download.headers["Content-Disposition"]
    )

    with as_tenant(tenant):
        db.session.expire_all()
        done = db.session.get(Enrollment, enrollment.id)
        assert done.status == "completed" and done.completed_at is not None and done.progress_percent == 100
        kinds = [e.type for e in db.session.scalars(select(OutboxEvent).order_by(OutboxEvent.id))]
    assert (
        kinds.count("lesson.completed") == 3 and "course.completed" in kinds and "enrollment.created" in kinds
    )
    home = client.get("/").get_data(as_text=True)
    completed_section = home.split('id="completed-heading"', 1)[1]
    assert '<span class="count">(1)</span>' in completed_section.split("</h2>", 1)[0]
    assert "Food Safety Basics" in completed_section


def test_a_progress_event_that_does_not_fit_the_lesson_is_refused(
    tenant_factory, user_factory, client_for, course_factory, enrol
):
    tenant = tenant_factory()
    course = course_factory(tenant, lessons=1)
    learner = user_factory(tenant)
    enrollment = enrol(tenant, learner, course)
    client = client_for(tenant, learner)
    response = _progress(client, enrollment, course.lessons[0].id, "watched", 100)
    assert response.status_code == 422


def test_someone_elses_enrollment_is_404(tenant_factory, user_factory, client_for, course_factory, enrol):
    tenant = tenant_factory()
    course = course_factory(tenant, lessons=1)
    owner, other = user_factory(tenant), user_factory(tenant)
    enrollment = enrol(tenant, owner, course)
    client = client_for(tenant, other)
    assert client.get(f"/learn/{enrollment.id}").status_code == 404
    assert client.get(f"/learn/{enrollment.id}/lessons/{course.lessons[0].id}").status_code == 404


def test_page_markdown_is_sanitised(db, tenant_factory):
    tenant = tenant_factory()
    with as_tenant(tenant):
        course = authoring.create_course({"title": "Safe"})
        lesson = authoring.add_lesson(
            course,
            "page",
            "Sneaky",
            True,
            {"body": "Hello <script>alert(1)</script> [x](javascript:alert(2)) <img src=x onerror=alert(3)>"},
            {},
        )
    html = lesson.content["html"]
    # Raw HTML is shown as text, never as markup; unsafe links are not links.
    assert "<script" not in html and "<img" not in html and 'href="javascript' not in html
    assert "&lt;script&gt;" in html and "Hello" in html
    db.session.rollback()


def test_completed_lessons_count_only_required_ones(db, tenant_factory, user_factory, course_factory, enrol):
    from app.learning.services.progress import record_event

    tenant = tenant_factory()
    course = course_factory(tenant, lessons=2, publish=False)
    with as_tenant(tenant):
        authoring.add_lesson(course, "page", "Optional", False, {"body": "x"}, {})
        authoring.set_course_status(course, "published")
        db.session.commit()
    learner = user_factory(tenant)
    enrollment = enrol(tenant, learner, course)
    with as_tenant(tenant):
        enrollment = db.session.get(Enrollment, enrollment.id)
        record_event(enrollment, course.lessons[0], "viewed_to_end")
        assert enrollment.progress_percent == 50
        record_event(enrollment, course.lessons[1], "viewed_to_end")
        assert enrollment.status == "completed"
        db.session.commit()
