"""Learners read the portal's courses, lessons and paths in their language, and are told when they cannot."""

from __future__ import annotations

from typing import Any

import lxml.html  # installed with svglib (certificate PDFs)
import pytest

from app.learning.services import courses as authoring
from app.learning.services.enrollments import enrol as enrol_service
from app.multilingual import services as translations
from app.multilingual.kinds import kind_named
from app.tenancy import as_tenant

COURSE, LESSON, PATH = kind_named("course"), kind_named("lesson"), kind_named("path")
# The notes as a Spanish learner reads them (the page is in Spanish, language names too).
FALLBACK = "Todavía no está disponible en español; se muestra en inglés."
OUTDATED = "Puede que esta traducción no incluya los últimos cambios."


@pytest.fixture
def bistro(tenant_factory: Any) -> Any:
    return tenant_factory(enabled_locales=["en", "es", "fr", "ar"], default_locale="en")


def _page(response: Any) -> Any:
    assert response.status_code == 200, response.status_code
    return lxml.html.fromstring(response.get_data(as_text=True))


def _text(node: Any) -> str:
    return " ".join(node.text_content().split())


def _food_safety(db: Any, tenant: Any, *, translate_lesson: bool = True) -> dict[str, Any]:
    with as_tenant(tenant):
        course = authoring.create_course(
            {
                "title": "Food Safety Basics",
                "description": "Keep food safe.",
                "language": "en",
                "self_enroll": True,
                "listed": True,
            }
        )
        washing = authoring.add_lesson(
            course, "page", "Handwashing", True, {"body": "Wash for **20 seconds**."}, {}
        )
        storing = authoring.add_lesson(course, "page", "Storage", True, {"body": "Cover the food."}, {})
        authoring.set_course_status(course, "published")
        translations.save_translation(
            COURSE,
            course,
            "es",
            {"title": "Seguridad alimentaria", "description": "Mantén la comida segura."},
        )
        if translate_lesson:
            translations.save_translation(
                LESSON, washing, "es", {"title": "Lavado de manos", "markdown": "Lávate **20 segundos**."}
            )
        db.session.commit()
        return {"course": course.id, "washing": washing.id, "storing": storing.id}


def _enrolled(db: Any, tenant: Any, user: Any, course_id: int) -> int:
    from app.learning.models import Course

    with as_tenant(tenant):
        enrollment, _created = enrol_service(user, db.session.get(Course, course_id))
        db.session.commit()
        return int(enrollment.id)


def test_a_spanish_learner_reads_the_catalog_course_and_lesson_in_spanish(
    db, bistro, user_factory, client_for
):
    ids = _food_safety(db, bistro)
    learner = user_factory(bistro, locale="es")
    client = client_for(bistro, learner)

    catalog = _page(client.get("/catalog"))
    assert [_text(h) for h in catalog.xpath("//ul[@class='cards']//h3")] == ["Seguridad alimentaria"]
    results = client.get("/catalog?q=Food", headers={"HX-Request": "true", "HX-Target": "catalog-results"})
    assert "Seguridad alimentaria" in results.get_data(as_text=True)

    course = _page(client.get(f"/courses/{ids['course']}"))
    assert _text(course.xpath("//h1")[0]) == "Seguridad alimentaria"
    assert "Mantén la comida segura." in _text(course.xpath("//div[@class='course-main']")[0])
    assert not course.xpath("//*[@role='note']")  # all of it is in Spanish: nothing to say
    assert [_text(a) for a in course.xpath("//ol[@class='lesson-list']//bdi")] == [
        "Lavado de manos",
        "Storage",
    ]

    enrollment = _enrolled(db, bistro, learner, ids["course"])
    lesson = _page(client.get(f"/learn/{enrollment}/lessons/{ids['washing']}"))
    assert _text(lesson.xpath("//h1")[0]) == "Lavado de manos"
    body = lesson.xpath("//article//div[contains(@class, 'prose')]")[0]
    assert lxml.html.tostring(body, encoding="unicode").count("<strong>20 segundos</strong>") == 1
    assert body.get("lang") is None  # Spanish on a Spanish page
    nav = [_text(a) for a in lesson.xpath("//nav[@class='lesson-nav']//a")]
    assert nav[0] == "Lavado de manos" and nav[1].startswith("Storage")
    assert "Seguridad alimentaria" in lesson.findtext(".//title")
    assert not lesson.xpath("//*[@role='note']")

    home = _page(client.get("/"))
    assert "Seguridad alimentaria" in [_text(b) for b in home.xpath("//h3//bdi")]


def test_an_english_learner_reads_the_original_with_no_language_marks(db, bistro, user_factory, client_for):
    ids = _food_safety(db, bistro)
    learner = user_factory(bistro, locale="en")
    client = client_for(bistro, learner)
    enrollment = _enrolled(db, bistro, learner, ids["course"])

    course = _page(client.get(f"/courses/{ids['course']}"))
    assert _text(course.xpath("//h1")[0]) == "Food Safety Basics"
    lesson = _page(client.get(f"/learn/{enrollment}/lessons/{ids['washing']}"))
    assert _text(lesson.xpath("//h1")[0]) == "Handwashing"
    assert "<strong>20 seconds</strong>" in lxml.html.tostring(lesson, encoding="unicode")
    assert not lesson.xpath("//main//*[@lang]") and not lesson.xpath("//*[@role='note']")


def test_a_lesson_not_yet_translated_says_so_and_is_marked_as_english(db, bistro, user_factory, client_for):
    ids = _food_safety(db, bistro)
    learner = user_factory(bistro, locale="es")
    client = client_for(bistro, learner)
    enrollment = _enrolled(db, bistro, learner, ids["course"])

    lesson = _page(client.get(f"/learn/{enrollment}/lessons/{ids['storing']}"))
    notes = lesson.xpath("//*[@role='note']")
    assert [_text(n) for n in notes] == [FALLBACK]
    assert not lesson.xpath("//*[@role='alert']")
    title = lesson.xpath("//h1/bdi")[0]
    assert (title.get("lang"), title.get("dir"), _text(title)) == ("en", "ltr", "Storage")
    body = lesson.xpath("//article//div[contains(@class, 'prose')]")[0]
    assert (body.get("lang"), body.get("dir")) == ("en", "ltr")
    # The pager names the translated lesson before it in Spanish, and it is not marked as English.
    previous = lesson.xpath("//a[@rel='prev']/bdi")[0]
    assert (_text(previous), previous.get("lang")) == ("Lavado de manos", None)


def test_an_arabic_learner_gets_english_fallback_marked_left_to_right_on_a_right_to_left_page(
    db, bistro, user_factory, client_for
):
    ids = _food_safety(db, bistro)
    learner = user_factory(bistro, locale="ar")
    client = client_for(bistro, learner)
    with as_tenant(bistro):
        from app.learning.models import Course

        translations.save_translation(
            COURSE, db.session.get(Course, ids["course"]), "ar", {"title": "سلامة الغذاء"}
        )
        db.session.commit()

    course = _page(client.get(f"/courses/{ids['course']}"))
    assert course.get("dir") == "rtl"
    title = course.xpath("//h1/bdi")[0]
    assert (_text(title), title.get("lang")) == ("سلامة الغذاء", None)
    lessons = course.xpath("//ol[@class='lesson-list']//bdi")
    assert [(b.get("lang"), b.get("dir")) for b in lessons] == [("en", "ltr"), ("en", "ltr")]
    # The description has no Arabic: it reads in English, in a container that says so.
    description = course.xpath("//div[@class='course-main']/div[@class='prose']")[0]
    assert (description.get("lang"), description.get("dir")) == ("en", "ltr")


def test_a_translation_behind_its_source_is_shown_with_a_note(db, bistro, user_factory, client_for):
    ids = _food_safety(db, bistro)
    learner = user_factory(bistro, locale="es")
    client = client_for(bistro, learner)
    with as_tenant(bistro):
        from app.learning.models import Course

        course = db.session.get(Course, ids["course"])
        course.description = "Keep food safe and cold."  # the author edits the original
        db.session.commit()

    page = _page(client.get(f"/courses/{ids['course']}"))
    assert "Mantén la comida segura." in _text(page)  # the translation still shows, with a note
    assert [_text(n) for n in page.xpath("//*[@role='note']")] == [OUTDATED]


def test_a_learning_path_reads_in_the_learners_language(db, bistro, user_factory, client_for):
    ids = _food_safety(db, bistro)
    learner = user_factory(bistro, locale="es")
    with as_tenant(bistro):
        path = authoring.create_path(
            {"title": "Kitchen basics", "description": "Start here.", "self_enroll": True}
        )
        authoring.set_path_courses(path, [ids["course"]])
        authoring.set_path_status(path, "published")
        translations.save_translation(
            PATH, path, "es", {"title": "Cocina básica", "description": "Empieza aquí."}
        )
        db.session.commit()
        path_id = path.id
    client = client_for(bistro, learner)
    page = _page(client.get(f"/paths/{path_id}"))
    assert _text(page.xpath("//h1")[0]) == "Cocina básica"
    assert "Empieza aquí." in _text(page)
    assert [_text(a) for a in page.xpath("//ol[@class='path-steps']//a")] == ["Seguridad alimentaria"]
    catalog = _page(client.get("/catalog"))
    assert "Cocina básica" in [_text(b) for b in catalog.xpath("//h3//bdi")]


def test_reading_in_spanish_costs_the_same_queries_for_3_or_12_translated_items(
    db, tenant_factory, user_factory, client_for, count_queries
):
    def build(n: int, *, translate: bool = True) -> dict[str, int]:
        tenant = tenant_factory(enabled_locales=["en", "es"], default_locale="en")
        spanish = user_factory(tenant, locale="es")
        english = user_factory(tenant, locale="en")
        with as_tenant(tenant):
            made = [
                authoring.create_course(
                    {"title": f"Course {i:02d}", "language": "en", "self_enroll": True, "listed": True}
                )
                for i in range(n)
            ]
            first = made[0]
            lessons = [
                authoring.add_lesson(first, "page", f"Lesson {i}", True, {"body": f"Text {i}."}, {})
                for i in range(n)
            ]
            for course in made:
                if course is not first:
                    authoring.add_lesson(course, "page", "Welcome", True, {"body": "Hello."}, {})
                authoring.set_course_status(course, "published")
            if translate:
                for i, course in enumerate(made):
                    translations.save_translation(COURSE, course, "es", {"title": f"Curso {i:02d}"})
                for i, lesson in enumerate(lessons):
                    translations.save_translation(
                        LESSON, lesson, "es", {"title": f"Lección {i}", "markdown": f"Texto {i}."}
                    )
            db.session.commit()
            course_id, lesson_id = first.id, lessons[1].id
        counts = {}
        for who, person in (("es", spanish), ("en", english)):
            enrollment = _enrolled(db, tenant, person, course_id)
            client = client_for(tenant, person)
            for name, path in (
                ("catalog", "/catalog"),
                ("lesson", f"/learn/{enrollment}/lessons/{lesson_id}"),
            ):
                client.get(path)  # warm up
                with count_queries() as counter:
                    response = client.get(path)
                assert response.status_code == 200
                if who == "es" and translate:
                    assert ("Curso 00" if name == "catalog" else "Lección 1") in response.get_data(
                        as_text=True
                    )
                counts[f"{who} {name}"] = counter.count
        return counts

    few, many, none = build(3), build(12), build(12, translate=False)
    assert few == many, (few, many)
    # English readers of English content pay nothing for the translations that exist.
    assert many["en catalog"] == none["en catalog"] and many["en lesson"] == none["en lesson"], (many, none)
    assert many["en catalog"] <= many["es catalog"] and many["en lesson"] <= many["es lesson"]
