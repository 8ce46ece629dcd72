"""Uploaded files keep a name and type from what they really are, and a PDF must really be one."""

from __future__ import annotations

import io

import pytest
from PIL import Image
from pypdf import PdfWriter
from sqlalchemy import select

from app.errors import ValidationError
from app.learning.lesson_kinds import Upload
from app.learning.models import Course, Lesson
from app.learning.services import courses as authoring
from app.tenancy import as_tenant
from tests.conftest import csrf_token

HTML = b"<!doctype html><html><body><script>alert(document.cookie)</script></body></html>"
SVG = b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><circle r="4"/></svg>'


def _pdf() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (50, 50), "white").save(out, format="PDF")
    return out.getvalue()


def _file_lesson(db, tenant, course, name: str, data: bytes) -> Lesson:
    with as_tenant(tenant):
        lesson = authoring.add_lesson(
            course, "file", "Handout", True, {}, {"document_file": Upload(name, data)}
        )
        authoring.set_course_status(course, "published")
        db.session.commit()
        return lesson


@pytest.mark.parametrize(
    ("name", "data", "offered"), [("evil.html", HTML, "evil.txt"), ("logo.svg", SVG, "logo.txt")]
)
def test_html_or_svg_accepted_as_text_is_downloaded_as_a_txt_file_never_as_a_page(
    db, tenant_factory, user_factory, client_for, course_factory, enrol, name, data, offered
):
    tenant = tenant_factory()
    course = course_factory(tenant, lessons=0, publish=False)
    lesson = _file_lesson(db, tenant, course, name, data)
    assert lesson.content["file"]["filename"] == offered
    learner = user_factory(tenant)
    enrollment = enrol(tenant, learner, course)

    download = client_for(tenant, learner).get(f"/learn/{enrollment.id}/lessons/{lesson.id}/download")

    assert download.status_code == 200 and download.data == data
    assert download.mimetype == "text/plain"
    assert download.headers["Content-Disposition"] == f"attachment; filename={offered}"
    assert download.headers["X-Content-Type-Options"] == "nosniff"


def test_a_file_stored_under_its_uploaded_name_before_is_still_offered_under_its_detected_type(
    db, tenant_factory, user_factory, client_for, course_factory, enrol
):
    tenant = tenant_factory()
    course = course_factory(tenant, lessons=0, publish=False)
    lesson = _file_lesson(db, tenant, course, "notes.txt", HTML)
    with as_tenant(tenant):
        # What an upload saved before names came from the detected type looks like.
        lesson.content = {**lesson.content, "file": {**lesson.content["file"], "filename": "evil.html"}}
        db.session.commit()
    learner = user_factory(tenant)
    enrollment = enrol(tenant, learner, course)

    download = client_for(tenant, learner).get(f"/learn/{enrollment.id}/lessons/{lesson.id}/download")

    assert download.headers["Content-Disposition"] == "attachment; filename=evil.txt"
    assert download.mimetype == "text/plain"


def test_a_real_pdf_keeps_its_readable_name(db, tenant_factory, course_factory):
    tenant = tenant_factory()
    course = course_factory(tenant, lessons=0, publish=False)
    lesson = _file_lesson(db, tenant, course, "../Opening checklist v2.PDF", _pdf())
    assert lesson.content["file"]["filename"] == "Opening_checklist_v2.pdf"
    assert lesson.content["file"]["content_type"] == "application/pdf"


@pytest.mark.parametrize(
    "data",
    [
        b"%PDF-1.7\n" + HTML,
        b"%PDF-1.4\n%%EOF\n",
    ],
    ids=["pdf-header-then-html", "pdf-header-and-eof-only"],
)
def test_a_file_that_only_starts_like_a_pdf_is_refused_and_the_author_is_told_why(
    db, tenant_factory, user_factory, client_for, data
):
    tenant = tenant_factory()
    client = client_for(tenant, user_factory(tenant, roles=("author", "learner")))
    token = csrf_token(client, "/admin/courses/new")
    created = client.post(
        "/admin/courses/new",
        data={"csrf_token": token, "title": "Knife Skills", "language": "en", "visibility": "everyone"},
    )
    assert created.status_code == 302, created.get_data(as_text=True)
    course_url = created.headers["Location"]

    response = client.post(
        f"{course_url}/lessons/new",
        data={
            "csrf_token": csrf_token(client, f"{course_url}/lessons/new?kind=file"),
            "kind": "file",
            "title": "Checklist",
            "required": "y",
            "document_file": (io.BytesIO(data), "checklist.pdf"),
        },
        content_type="multipart/form-data",
    )

    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "starts like a PDF but is not a PDF with pages that can be read" in page
    assert 'value="Checklist"' in page
    with as_tenant(tenant):
        assert db.session.scalars(select(Course)).one().lessons == []


def test_a_pdf_without_pages_is_refused(db, tenant_factory, course_factory):
    empty = io.BytesIO()
    PdfWriter().write(empty)
    tenant = tenant_factory()
    course = course_factory(tenant, lessons=0, publish=False)
    with as_tenant(tenant), pytest.raises(ValidationError, match="not a PDF with pages"):
        authoring.add_lesson(
            course, "file", "Blank", True, {}, {"document_file": Upload("blank.pdf", empty.getvalue())}
        )
