"""Authors build courses: lessons, order, required/optional, publish and archive; uploads are checked."""

from __future__ import annotations

import io

from sqlalchemy import select

from app.learning.models import Course, Enrollment
from app.tenancy import as_tenant
from tests.conftest import csrf_token, open_lesson_page


def _author(tenant_factory, user_factory, client_for):
    tenant = tenant_factory()
    return tenant, client_for(tenant, user_factory(tenant, roles=("author", "learner")))


def _new_course(client, title="Knife Skills"):
    token = csrf_token(client, "/admin/courses/new")
    response = client.post(
        "/admin/courses/new",
        data={
            "csrf_token": token,
            "title": title,
            "description": "Sharp.",
            "category": "Kitchen",
            "tags": "Knives, Safety",
            "language": "en",
            "duration_minutes": "20",
            "self_enroll": "y",
            "listed": "y",
            "visibility": "everyone",
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    return response.headers["Location"]


def test_author_builds_orders_and_publishes_a_course(db, tenant_factory, user_factory, client_for):
    tenant, client = _author(tenant_factory, user_factory, client_for)
    course_url = _new_course(client)
    for title in ("Holding the knife", "The claw grip", "Cleaning up"):
        token = csrf_token(client, f"{course_url}/lessons/new?kind=page")
        assert (
            client.post(
                f"{course_url}/lessons/new",
                data={
                    "csrf_token": token,
                    "kind": "page",
                    "title": title,
                    "required": "y",
                    "body": f"About {title}.",
                },
            ).status_code
            == 302
        )
    with as_tenant(tenant):
        course = db.session.scalars(select(Course).where(Course.title == "Knife Skills")).one()
        ids = [lesson.id for lesson in course.lessons]
        assert course.tags == ["knives", "safety"]
    # Keyboard: move the last lesson up.
    token = csrf_token(client, course_url)
    client.post(f"{course_url}/lessons/{ids[2]}/move", data={"csrf_token": token, "direction": "up"})
    # Drag and drop: send a whole order.
    reordered = client.post(
        f"{course_url}/lessons/order",
        data={"lesson": [str(ids[2]), str(ids[0]), str(ids[1])]},
        headers={"X-CSRFToken": token},
    )
    assert reordered.status_code == 200
    with as_tenant(tenant):
        db.session.expire_all()
        course = db.session.get(Course, course.id)
        assert [lesson.title for lesson in course.lessons] == [
            "Cleaning up",
            "Holding the knife",
            "The claw grip",
        ]
    wrong = client.post(
        f"{course_url}/lessons/order", data={"lesson": [str(ids[0])]}, headers={"X-CSRFToken": token}
    )
    assert wrong.status_code == 422
    client.post(f"{course_url}/status?status=published", data={"csrf_token": token})
    with as_tenant(tenant):
        db.session.expire_all()
        assert db.session.get(Course, course.id).status == "published"


def test_a_course_cannot_be_published_without_lessons(db, tenant_factory, user_factory, client_for):
    _tenant, client = _author(tenant_factory, user_factory, client_for)
    course_url = _new_course(client, "Empty")
    token = csrf_token(client, course_url)
    page = client.post(
        f"{course_url}/status?status=published", data={"csrf_token": token}, follow_redirects=True
    )
    assert "Add at least one lesson before publishing." in page.get_data(as_text=True)


def test_upload_with_a_lying_extension_is_refused(db, tenant_factory, user_factory, client_for):
    tenant, client = _author(tenant_factory, user_factory, client_for)
    course_url = _new_course(client)
    token = csrf_token(client, f"{course_url}/lessons/new?kind=file")
    response = client.post(
        f"{course_url}/lessons/new",
        data={
            "csrf_token": token,
            "kind": "file",
            "title": "Checklist",
            "required": "y",
            "document_file": (
                io.BytesIO(b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\xff\xff" * 20),
                "checklist.pdf",
            ),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    assert "whatever its name says" in response.get_data(as_text=True)
    video = client.post(
        f"{course_url}/lessons/new",
        data={
            "csrf_token": token,
            "kind": "video",
            "title": "Clip",
            "required": "y",
            "video_file": (io.BytesIO(b"%PDF-1.4 not a video"), "clip.mp4"),
        },
        content_type="multipart/form-data",
    )
    assert video.status_code == 422
    with as_tenant(tenant):
        course = db.session.scalars(select(Course)).one()
        assert course.lessons == []


def test_archiving_keeps_learner_records(db, tenant_factory, user_factory, client_for, course_factory, enrol):
    tenant = tenant_factory()
    course = course_factory(tenant)
    learner = user_factory(tenant)
    enrollment = enrol(tenant, learner, course)
    client = client_for(tenant, user_factory(tenant, roles=("author", "learner")))
    token = csrf_token(client, f"/admin/courses/{course.id}")
    client.post(f"/admin/courses/{course.id}/status?status=archived", data={"csrf_token": token})
    with as_tenant(tenant):
        db.session.expire_all()
        assert db.session.get(Course, course.id).status == "archived"
        assert db.session.get(Enrollment, enrollment.id) is not None
    assert "Food Safety Basics" not in client_for(tenant, learner).get("/catalog").get_data(as_text=True)


def test_a_started_lesson_cannot_be_removed(
    db, tenant_factory, user_factory, client_for, course_factory, enrol
):
    tenant = tenant_factory()
    course = course_factory(tenant)
    learner = user_factory(tenant)
    enrollment = enrol(tenant, learner, course)
    open_lesson_page(client_for(tenant, learner), enrollment.id, course.lessons[0].id)
    author = client_for(tenant, user_factory(tenant, roles=("author", "learner")))
    token = csrf_token(author, f"/admin/courses/{course.id}")
    page = author.post(
        f"/admin/courses/{course.id}/lessons/{course.lessons[0].id}/remove",
        data={"csrf_token": token},
        follow_redirects=True,
    )
    assert "Make it optional instead." in page.get_data(as_text=True)


def test_learners_cannot_author(tenant_factory, user_factory, client_for):
    tenant = tenant_factory()
    client = client_for(tenant, user_factory(tenant))
    assert client.get("/admin/courses").status_code == 403
    assert client.get("/admin/rules").status_code == 403
