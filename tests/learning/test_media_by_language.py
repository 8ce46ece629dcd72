"""Captions and downloadable files per language: authors add and remove them, learners get their own."""

from __future__ import annotations

import io
import re
from types import SimpleNamespace
from typing import Any

import pytest

from app.errors import ValidationError
from app.extensions import db as _db
from app.learning.lesson_kinds import Upload
from app.learning.models import Lesson
from app.learning.services import courses as authoring
from app.tenancy import as_tenant
from tests.conftest import csrf_token

ENGLISH_VTT = b"WEBVTT\n\n00:00.000 --> 00:02.000\nWash your hands for twenty seconds.\n"
SPANISH_VTT = "WEBVTT\n\n00:00.000 --> 00:02.000\nLávate las manos durante veinte segundos.\n".encode()
FRENCH_VTT = b"WEBVTT\n\n00:00.000 --> 00:02.000\nLavez-vous les mains pendant vingt secondes.\n"


@pytest.fixture
def portal(tenant_factory: Any) -> Any:
    return tenant_factory(enabled_locales=["en", "es", "fr", "ar"], default_locale="en")


def _video_lesson(db: Any, portal: Any, course_factory: Any) -> Any:
    course = course_factory(portal, lessons=0, publish=False, language="en")
    with as_tenant(portal):
        lesson = authoring.add_lesson(
            course,
            "video",
            "Handwashing",
            True,
            {"video_url": "https://videos.example.com/hands.mp4", "captions_language": "en"},
            {"captions_file": Upload("hands.vtt", ENGLISH_VTT)},
        )
        authoring.set_course_status(course, "published")
        db.session.flush()
        made = course, SimpleNamespace(id=course.id), SimpleNamespace(id=lesson.id, title=lesson.title)
        db.session.commit()
        return made


def _edit(client: Any, course: Any, lesson: Any, **data: Any) -> Any:
    url = f"/admin/courses/{course.id}/lessons/{lesson.id}"
    form = {
        "csrf_token": csrf_token(client, url),
        "title": lesson.title,
        "required": "y",
        "captions_language": "en",
        **data,
    }
    return client.post(url, data=form, content_type="multipart/form-data")


def _tracks(page: str) -> list[dict[str, str]]:
    tracks = []
    for tag in re.findall(r"<track [^>]*>", page):
        attrs = dict(re.findall(r'(\w+)="([^"]*)"', tag))
        attrs["default"] = "yes" if re.search(r"\sdefault\b", tag) else "no"
        tracks.append(attrs)
    return tracks


def _fetch(client: Any, url: str) -> tuple[int, bytes, str]:
    """Status, body and type of a file response, closed (served from disk, it holds the file open)."""
    response = client.get(url.replace("&amp;", "&"))
    try:
        return response.status_code, response.get_data(), response.mimetype
    finally:
        response.close()


def _content(portal: Any, lesson_id: int) -> dict[str, Any]:
    with as_tenant(portal):
        _db.session.expire_all()
        return dict(_db.session.get(Lesson, lesson_id).content)


def test_learners_get_captions_in_their_language_and_the_original_otherwise(
    db, portal, user_factory, client_for, course_factory, enrol
):
    real_course, course, lesson = _video_lesson(db, portal, course_factory)
    author = client_for(portal, user_factory(portal, roles=("author", "learner")))
    form = author.get(f"/admin/courses/{course.id}/lessons/{lesson.id}").get_data(as_text=True)
    assert 'name="locale_captions_file"' in form and '<option value="es" lang="es">Español</option>' in form

    for locale, vtt in (("es", SPANISH_VTT), ("fr", FRENCH_VTT)):
        saved = _edit(
            author,
            course,
            lesson,
            captions_locale=locale,
            locale_captions_file=(io.BytesIO(vtt), f"hands-{locale}.vtt"),
        )
        assert saved.status_code == 302, saved.get_data(as_text=True)
    assert sorted(_content(portal, lesson.id)["captions_by_locale"]) == ["es", "fr"]
    assert "Remove the Español file (<bdi>hands-es.vtt</bdi>)" in author.get(
        f"/admin/courses/{course.id}/lessons/{lesson.id}"
    ).get_data(as_text=True)

    spanish = user_factory(portal, locale="es")
    enrollment = enrol(portal, spanish, real_course)
    learner = client_for(portal, spanish)
    tracks = _tracks(learner.get(f"/learn/{enrollment.id}/lessons/{lesson.id}").get_data(as_text=True))
    assert [(t["srclang"], t["label"], t["default"]) for t in tracks] == [
        ("en", "English", "no"),
        ("es", "Español", "yes"),
        ("fr", "Français", "no"),
    ]
    assert _fetch(learner, tracks[1]["src"]) == (200, SPANISH_VTT, "text/vtt")
    assert _fetch(learner, tracks[0]["src"])[1] == ENGLISH_VTT  # the original, without ?lang=
    assert _fetch(learner, f"/media/lessons/{lesson.id}/captions?lang=de")[0] == 404

    arabic = user_factory(portal, locale="ar")  # no Arabic captions: the original is on by default
    arabic_enrollment = enrol(portal, arabic, real_course)
    page = client_for(portal, arabic).get(f"/learn/{arabic_enrollment.id}/lessons/{lesson.id}")
    assert [(t["srclang"], t["default"]) for t in _tracks(page.get_data(as_text=True))] == [
        ("en", "yes"),
        ("es", "no"),
        ("fr", "no"),
    ]
    # Someone who neither takes nor authors the course gets nothing, in any language.
    outsider = client_for(portal, user_factory(portal))
    assert _fetch(outsider, f"/media/lessons/{lesson.id}/captions?lang=es")[0] == 404

    removed = _edit(author, course, lesson, remove_captions="fr")
    assert removed.status_code == 302
    assert sorted(_content(portal, lesson.id)["captions_by_locale"]) == ["es"]
    assert _fetch(learner, f"/media/lessons/{lesson.id}/captions?lang=fr")[0] == 404


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"captions_locale": "es", "file": b"Not captions at all."}, "not an allowed type"),
        ({"captions_locale": "es", "file": b"WEBVTT\n\n\xff\xfe broken"}, "not an allowed type"),
        ({"captions_locale": "", "file": SPANISH_VTT}, "Choose the language of the file you are adding."),
        ({"captions_locale": "de", "file": SPANISH_VTT}, "does not offer the language “de”"),
        ({"captions_locale": "en", "file": SPANISH_VTT}, "English is the original"),
    ],
)
def test_captions_that_are_not_webvtt_or_in_no_offered_language_are_refused_and_nothing_changes(
    db, portal, user_factory, client_for, course_factory, data, message
):
    _course, course, lesson = _video_lesson(db, portal, course_factory)
    before = _content(portal, lesson.id)
    author = client_for(portal, user_factory(portal, roles=("author", "learner")))
    refused = _edit(
        author,
        course,
        lesson,
        captions_locale=data["captions_locale"],
        locale_captions_file=(io.BytesIO(data["file"]), "captions.vtt"),
    )
    assert refused.status_code == 422
    assert message in refused.get_data(as_text=True)
    assert _content(portal, lesson.id) == before


def test_captions_over_the_size_limit_are_refused(db, portal, course_factory):
    _real, _course, lesson = _video_lesson(db, portal, course_factory)
    with as_tenant(portal):
        found = db.session.get(Lesson, lesson.id)
        with pytest.raises(ValidationError) as refused:
            authoring.update_lesson(
                found,
                "Handwashing",
                True,
                {"video_url": "https://videos.example.com/hands.mp4", "captions_locale": "es"},
                {"locale_captions_file": Upload("big.vtt", b"WEBVTT\n" + b"x" * (1024 * 1024))},
            )
        assert "the limit is 1 MB" in refused.value.message
        assert refused.value.field == "locale_captions_file"
        db.session.rollback()
    assert "captions_by_locale" not in _content(portal, lesson.id)


def test_a_file_lesson_serves_the_learners_language_and_says_which_language_it_is_in(
    db, portal, user_factory, client_for, course_factory, enrol
):
    course = course_factory(portal, lessons=0, publish=False, language="en")
    author = client_for(portal, user_factory(portal, roles=("author", "learner")))
    url = f"/admin/courses/{course.id}/lessons/new"
    added = author.post(
        url,
        data={
            "csrf_token": csrf_token(author, f"{url}?kind=file"),
            "kind": "file",
            "title": "Checklist",
            "required": "y",
            "document_file": (io.BytesIO(b"Wash, rinse, dry."), "checklist.txt"),
            "file_language": "en",
            "file_locale": "es",
            "locale_document_file": (io.BytesIO(b"Lavar, aclarar, secar."), "lista.txt"),
        },
        content_type="multipart/form-data",
    )
    assert added.status_code == 302, added.get_data(as_text=True)
    with as_tenant(portal):
        lesson = course.lessons[0]
        course_id, lesson_id = course.id, lesson.id
        assert lesson.content["file_language"] == "en" and list(lesson.content["files_by_locale"]) == ["es"]
        authoring.set_course_status(course, "published")
        db.session.commit()

    spanish = user_factory(portal, locale="es")
    enrollment = enrol(portal, spanish, course)
    enrollment_id = enrollment.id
    learner = client_for(portal, spanish)
    page = learner.get(f"/learn/{enrollment_id}/lessons/{lesson_id}").get_data(as_text=True)
    assert "lista.txt" in page and "<bdi>Español</bdi>" in page
    download = learner.post(
        f"/learn/{enrollment_id}/lessons/{lesson_id}/download",
        data={"csrf_token": csrf_token(learner, f"/learn/{enrollment_id}/lessons/{lesson_id}")},
    )
    assert download.status_code == 200 and download.data == b"Lavar, aclarar, secar."
    assert download.headers["Content-Disposition"] == "attachment; filename=lista.txt"

    french = user_factory(portal, locale="fr")  # no French file: the original, and the page says English
    french_client = client_for(portal, french)
    french_enrollment_id = enrol(portal, french, course).id
    page = french_client.get(f"/learn/{french_enrollment_id}/lessons/{lesson_id}").get_data(as_text=True)
    assert "checklist.txt" in page and "<bdi>English</bdi>" in page
    original = french_client.get(f"/learn/{french_enrollment_id}/lessons/{lesson_id}/download")
    assert original.data == b"Wash, rinse, dry."

    removed = author.post(
        f"/admin/courses/{course_id}/lessons/{lesson_id}",
        data={
            "csrf_token": csrf_token(author, f"/admin/courses/{course_id}/lessons/{lesson_id}"),
            "title": "Checklist",
            "required": "y",
            "file_language": "en",
            "remove_files": "es",
        },
        content_type="multipart/form-data",
    )
    assert removed.status_code == 302
    assert "files_by_locale" not in _content(portal, lesson_id)
    assert learner.get(f"/learn/{enrollment_id}/lessons/{lesson_id}/download").data == b"Wash, rinse, dry."
