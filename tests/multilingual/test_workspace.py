"""Admin → Translations: the workspace, the side-by-side editor, XLIFF/PO export and import, the panel."""

from __future__ import annotations

import io
import re
from typing import Any

import pytest
from babel.messages import pofile
from flask import g
from flask_babel import force_locale
from sqlalchemy import func, select

from app.assessments.demo import food_safety
from app.assessments.models import Question, Quiz
from app.audit.models import AuditEvent
from app.extensions import db as _db
from app.learning.models import Course, Lesson
from app.learning.services import courses
from app.multilingual import reading, services
from app.multilingual.kinds import kind_named
from app.multilingual.models import ContentTranslation
from app.tenancy import as_tenant
from tests.conftest import csrf_token

COURSE = kind_named("course")
LESSON = kind_named("lesson")
SOURCE = re.compile(r'<source xml:space="preserve">(.*?)</source>', re.DOTALL)


@pytest.fixture
def bistro(tenant_factory: Any) -> Any:
    return tenant_factory(enabled_locales=["en", "es", "fr", "ar"], default_locale="en")


@pytest.fixture
def translator(bistro: Any, user_factory: Any, client_for: Any) -> Any:
    return client_for(bistro, user_factory(bistro, roles=("translator",)))


def _food_safety(db: Any, tenant: Any) -> int:
    """A Food Safety Basics course: a page lesson with a link and a placeholder, and the demo's quiz."""
    with as_tenant(tenant):
        course = courses.create_course(
            {"title": "Food Safety Basics", "description": "Keep food safe.", "language": "en"}
        )
        courses.add_lesson(
            course,
            "page",
            "Handwashing",
            True,
            {"body": "Wash for **20 seconds**, {name}. See [the poster](https://example.com/poster)."},
            {},
        )
        food_safety(course)
        db.session.commit()
        return int(course.id)


def _translations(tenant: Any) -> list[tuple[str, int, str, dict[str, str]]]:
    with as_tenant(tenant):
        rows = _db.session.scalars(select(ContentTranslation).order_by(ContentTranslation.id)).all()
        return [(r.kind, r.item_id, r.locale, dict(r.fields)) for r in rows]


def _export(client: Any, **args: str) -> Any:
    response = client.get("/admin/translations/export", query_string={"download": "1", **args})
    assert response.status_code == 200, response.get_data(as_text=True)
    return response


def _fill_xliff(data: bytes, translate: Any = lambda text: f"ES {text}") -> bytes:
    """Give every unit a target, as a translator typing into the file in a text editor would."""
    text = data.decode("utf-8")
    text = SOURCE.sub(
        lambda m: f'{m.group(0)}<target xml:space="preserve">{translate(m.group(1))}</target>', text
    )
    return text.encode("utf-8")


def _import(client: Any, data: bytes, filename: str = "food.xlf", **form: str) -> Any:
    token = csrf_token(client, "/admin/translations/import")
    return client.post(
        "/admin/translations/import",
        data={"csrf_token": token, "file": (io.BytesIO(data), filename), **form},
        content_type="multipart/form-data",
    )


def test_a_translator_exports_a_course_fills_the_file_imports_it_and_a_spanish_learner_reads_it(
    app, db, bistro, translator
):
    course_id = _food_safety(db, bistro)
    exported = _export(translator, locale="es", format="xliff", scope="course", course=str(course_id))
    assert exported.headers["Content-Disposition"].startswith("attachment; filename=")
    assert ".xlf" in exported.headers["Content-Disposition"]
    body = exported.get_data()
    assert b'trgLang="es"' in body
    assert f'<unit id="course.{course_id}.title">'.encode() in body
    assert b"Food Safety quiz" in body and b"Hot food on the pass" in body  # the quiz and its questions
    assert b"<target" not in body  # nothing translated yet

    response = _import(translator, _fill_xliff(body))
    page = response.get_data(as_text=True)
    assert response.status_code == 200, page
    assert "Imported into" in page and "refused" in page

    with as_tenant(bistro):
        quiz = db.session.scalars(select(Quiz).where(Quiz.title == "Food Safety quiz")).one()
        question = db.session.scalars(select(Question).order_by(Question.id)).first()
        quiz_id, question_id = quiz.id, question.id

    def read() -> Any:
        g.tenant = bistro
        who = reading.reader()
        course = db.session.get(Course, course_id)
        lesson = course.lessons[0]
        return (
            who.shown(course, "title").text,
            who.shown(lesson, "markdown").text,
            who.shown(db.session.get(Quiz, quiz_id), "title").text,
            who.shown(db.session.get(Question, question_id), "prompt").text,
        )

    with app.test_request_context(), as_tenant(bistro), force_locale("es"):
        title, lesson, quiz_title, prompt = read()
    assert title == "ES Food Safety Basics"
    assert lesson.startswith("ES Wash for **20 seconds**, {name}.")
    assert quiz_title == "ES Food Safety quiz"
    assert prompt == "ES Hot food on the pass must be held at what temperature?"

    with as_tenant(bistro):
        imported = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "content.imported")).all()
        assert len(imported) == 1 and imported[0].after["locale"] == "es"

    # Importing the same file again changes nothing.
    again = _import(translator, _fill_xliff(body)).get_data(as_text=True)
    assert "0 texts changed" in again


def test_editing_the_english_source_marks_the_spanish_translation_outdated(db, bistro, translator):
    course_id = _food_safety(db, bistro)
    with as_tenant(bistro):
        lesson = db.session.scalars(
            select(Lesson).where(Lesson.course_id == course_id, Lesson.kind == "page")
        ).one()
        lesson_id = lesson.id
        services.save_translation(
            LESSON,
            lesson,
            "es",
            {
                "title": "Lavado de manos",
                "markdown": "Lávate **20 segundos**, {name}. Mira [el póster](https://example.com/poster).",
            },
        )
        db.session.commit()
    listing = translator.get("/admin/translations/?locale=es&kind=lesson&status=outdated").get_data(
        as_text=True
    )
    assert "Handwashing" not in listing

    with as_tenant(bistro):
        lesson = db.session.get(Lesson, lesson_id)
        lesson.content = {**lesson.content, "markdown": "Wash for **30 seconds**, {name}."}
        db.session.commit()
    listing = translator.get("/admin/translations/?locale=es&kind=lesson&status=outdated").get_data(
        as_text=True
    )
    assert "Handwashing" in listing and "Outdated" in listing
    assert re.search(r'id="count-lesson-outdated">1<', listing)

    editor = translator.get(f"/admin/translations/lesson/{lesson_id}/es")
    page = editor.get_data(as_text=True)
    assert editor.status_code == 200
    assert "Wash for **30 seconds**" in page  # the current source, beside the old translation
    assert "The original changed since this was translated" in page
    assert 'lang="es" dir="ltr"' in page


def test_the_editor_saves_keeps_typed_text_on_errors_and_marks_reviewed(db, bistro, translator):
    course_id = _food_safety(db, bistro)
    with as_tenant(bistro):
        lesson_id = db.session.scalars(
            select(Lesson.id).where(Lesson.course_id == course_id, Lesson.kind == "page")
        ).one()
    url = f"/admin/translations/lesson/{lesson_id}/es"
    token = csrf_token(translator, url)
    bad = translator.post(
        url,
        data={
            "csrf_token": token,
            "t-title": "Lavado de manos",
            "t-markdown": "Lávate las manos, sin nombre.",
        },
    )
    page = bad.get_data(as_text=True)
    assert bad.status_code == 422
    assert "The placeholder {name} is missing." in page
    assert "The link https://example.com/poster is missing." in page
    assert "Lávate las manos, sin nombre." in page  # the typed text is kept
    assert _translations(bistro) == []

    good = "Lávate **20 segundos**, {name}. Mira [el póster](https://example.com/poster)."
    saved = translator.post(url, data={"csrf_token": token, "t-title": "Lavado de manos", "t-markdown": good})
    assert saved.status_code == 302
    assert _translations(bistro) == [
        ("lesson", lesson_id, "es", {"title": "Lavado de manos", "markdown": good})
    ]
    reviewed = translator.post(url, data={"csrf_token": token, "action": "review"}, follow_redirects=True)
    assert "Reviewed" in reviewed.get_data(as_text=True)

    arabic = translator.get(f"/admin/translations/lesson/{lesson_id}/ar").get_data(as_text=True)
    assert 'lang="ar" dir="rtl"' in arabic


def test_a_broken_file_a_stale_unit_or_a_placeholder_mismatch_applies_nothing(db, bistro, translator):
    course_id = _food_safety(db, bistro)
    body = _export(translator, locale="es", format="xliff", scope="course", course=str(course_id)).get_data()
    filled = _fill_xliff(body)

    broken = _import(translator, filled[: len(filled) // 2])
    assert broken.status_code == 422
    assert "not valid XML" in broken.get_data(as_text=True)
    assert _translations(bistro) == []

    with as_tenant(bistro):
        course = db.session.get(Course, course_id)
        course.description = "Keep food safe, always."
        db.session.commit()
    stale = _import(translator, filled)
    page = stale.get_data(as_text=True)
    assert stale.status_code == 422
    assert f"course.{course_id}.description" in page and "stale source" in page
    assert "Nothing was imported" in page
    assert _translations(bistro) == []

    fresh = _export(translator, locale="es", format="xliff", scope="course", course=str(course_id)).get_data()
    mismatch = _fill_xliff(fresh, lambda text: f"ES {text}".replace("{name}", "{nombre}"))
    with as_tenant(bistro):
        lesson_id = db.session.scalars(
            select(Lesson.id).where(Lesson.course_id == course_id, Lesson.kind == "page")
        ).one()
    refused = _import(translator, mismatch)
    page = refused.get_data(as_text=True)
    assert refused.status_code == 422
    assert f"lesson.{lesson_id}.markdown" in page and "The placeholder {name} is missing." in page
    assert _translations(bistro) == []

    # Asked to, the valid units are applied and the refused one left out.
    partly = _import(translator, mismatch, apply_valid="1")
    assert partly.status_code == 200
    applied = {(kind, item): fields for kind, item, _locale, fields in _translations(bistro)}
    assert applied[("course", course_id)]["title"] == "ES Food Safety Basics"
    assert "markdown" not in applied[("lesson", lesson_id)]


def test_a_po_file_round_trips(db, bistro, translator):
    course_id = _food_safety(db, bistro)
    exported = _export(translator, locale="fr", format="po", scope="todo")
    assert ".po" in exported.headers["Content-Disposition"]
    catalog = pofile.read_po(io.BytesIO(exported.get_data()))
    for message in catalog:
        if message.id:
            message.string = f"FR {message.id}"
    out = io.BytesIO()
    pofile.write_po(out, catalog, width=0)
    response = _import(translator, out.getvalue(), filename="food.po")
    assert response.status_code == 200, response.get_data(as_text=True)
    translated = {
        (kind, item): fields for kind, item, locale, fields in _translations(bistro) if locale == "fr"
    }
    assert translated[("course", course_id)] == {
        "title": "FR Food Safety Basics",
        "description": "FR Keep food safe.",
    }
    # What is done is no longer in the "missing or outdated" export.
    with pytest.raises(AssertionError):
        _export(translator, locale="fr", format="po", scope="todo")


def test_bad_requests_are_refused(db, bistro, translator, tenant_factory, user_factory, client_for):
    course_id = _food_safety(db, bistro)
    learner = client_for(bistro, user_factory(bistro))
    assert learner.get("/admin/translations/").status_code == 403
    assert learner.get(f"/admin/translations/course/{course_id}/es").status_code == 403

    other = tenant_factory(enabled_locales=["en", "es"], default_locale="en")
    other_course = _food_safety(db, other)
    assert translator.get(f"/admin/translations/course/{other_course}/es").status_code == 404
    assert translator.get(f"/admin/translations/spell/{course_id}/es").status_code == 404
    assert translator.get(f"/admin/translations/course/{course_id}/de").status_code == 404  # not offered
    assert translator.get(f"/admin/translations/course/{course_id}/en").status_code == 404  # its own

    wrong = translator.get("/admin/translations/export?download=1&locale=xx&format=doc&scope=course")
    assert wrong.status_code == 422
    assert "Choose a course." in wrong.get_data(as_text=True)
    empty = _import(translator, b"")
    assert empty.status_code == 422 and "Choose an XLIFF or PO file" in empty.get_data(as_text=True)
    german = _import(
        translator,
        b'<?xml version="1.0"?><xliff xmlns="urn:oasis:names:tc:xliff:document:2.0" version="2.0" '
        b'srcLang="en" trgLang="de"><file id="f"><unit id="course.1.title"><segment><source>A</source>'
        b"<target>B</target></segment></unit></file></xliff>",
    )
    assert german.status_code == 422 and "does not offer the language" in german.get_data(as_text=True)
    forged = _import(
        translator,
        (
            '<?xml version="1.0"?><xliff xmlns="urn:oasis:names:tc:xliff:document:2.0" version="2.0" '
            f'srcLang="en" trgLang="es"><file id="f"><unit id="course.{other_course}.title"><segment>'
            "<source>Food Safety Basics</source><target>Robado</target></segment></unit></file></xliff>"
        ).encode(),
    )
    assert forged.status_code == 422 and "unknown id" in forged.get_data(as_text=True)
    assert _translations(other) == []


def _courses(db: Any, tenant: Any, count: int) -> None:
    with as_tenant(tenant):
        for number in range(count):
            course = courses.create_course(
                {"title": f"Course {number}", "description": "Text.", "language": "en"}
            )
            courses.add_lesson(course, "page", f"Lesson {number}", True, {"body": "Body."}, {})
            services.save_translation(COURSE, course, "es", {"title": f"Curso {number}"})
        db.session.commit()


def test_the_workspace_costs_the_same_queries_for_3_or_12_items(
    db, tenant_factory, user_factory, client_for, count_queries
):
    costs = []
    for count in (3, 12):
        portal = tenant_factory(enabled_locales=["en", "es"], default_locale="en")
        client = client_for(portal, user_factory(portal, roles=("translator",)))
        _courses(db, portal, count)
        client.get("/admin/translations/?locale=es")
        with count_queries() as counter:
            page = client.get("/admin/translations/?locale=es").get_data(as_text=True)
        assert f"Course {count - 1}" in page
        costs.append(counter.count)
    assert costs[0] == costs[1]


def test_the_course_edit_page_shows_each_languages_translation(db, bistro, user_factory, client_for):
    course_id = _food_safety(db, bistro)
    with as_tenant(bistro):
        services.save_translation(COURSE, db.session.get(Course, course_id), "es", {"title": "Seguridad"})
        db.session.commit()
    admin = client_for(bistro, user_factory(bistro, roles=("tenant_admin",)))
    page = admin.get(f"/admin/courses/{course_id}").get_data(as_text=True)
    panel = page[page.index('class="translations-panel"') :]
    assert f"/admin/translations/course/{course_id}/es" in panel
    assert "Partly translated" in panel and "Not translated" in panel
    assert f"/admin/translations/course/{course_id}/en" not in panel  # its own language
    with as_tenant(bistro):
        assert db.session.scalar(select(func.count()).select_from(ContentTranslation)) == 1
    with as_tenant(bistro):
        quiz_id = db.session.scalars(select(Quiz.id)).one()
    quiz_page = admin.get(f"/admin/quizzes/{quiz_id}").get_data(as_text=True)
    assert f"/admin/translations/quiz/{quiz_id}/ar" in quiz_page

    # The workspace and Terminology link to each other.
    assert "/admin/terminology" in admin.get("/admin/translations/").get_data(as_text=True)
    assert "/admin/translations/" in admin.get("/admin/terminology").get_data(as_text=True)
