"""Library packages carry translations; each portal receives them as its own, and keeps what it wrote."""

from __future__ import annotations

from typing import Any

import pytest
from flask import g
from flask_babel import force_locale
from sqlalchemy import select

from app.errors import ValidationError
from app.learning.models import Course
from app.library import services
from app.library.demo import SLUG, load_library_demo
from app.library.models import LibraryPackage
from app.multilingual import reading
from app.multilingual import services as translating
from app.multilingual.kinds import kind_named
from app.multilingual.models import ContentTranslation
from app.tenancy import as_tenant
from tests.conftest import unique_slug
from tests.library.conftest import PAGE, SLUG_PREFIX, VIDEO, draft_fields

COURSE = kind_named("course")
LESSON = kind_named("lesson")

SPANISH = {
    "course": {"title": "Lo básico de la seguridad", "description": "Sobre la seguridad."},
    "lessons": [
        {"title": "Detecta el engaño", "markdown": "Comprueba el **remitente**."},
        {"title": "Mira cómo ocurre", "transcript": "Un narrador lo explica."},
    ],
}


def _package(translations: dict[str, Any], lessons: list[dict[str, Any]] | None = None) -> LibraryPackage:
    package = services.create_package(
        unique_slug(SLUG_PREFIX.rstrip("-")), "Security basics", "About security."
    )
    draft = package.draft
    assert draft is not None
    services.update_draft(
        draft, **draft_fields(draft, lessons=lessons or [PAGE, VIDEO]), translations=translations
    )
    services.publish(draft)
    return package


def _shown(app: Any, tenant: Any, locale: str, obj_type: type, obj_id: int, name: str) -> Any:
    with app.test_request_context(), as_tenant(tenant), force_locale(locale):
        g.tenant = tenant
        return reading.reader().shown(db_get(obj_type, obj_id), name)


def db_get(obj_type: type, obj_id: int) -> Any:
    from app.extensions import db

    return db.session.get(obj_type, obj_id)


@pytest.fixture
def portal(tenant_factory: Any) -> Any:
    return tenant_factory(enabled_locales=["en", "es", "fr", "ar"], default_locale="en")


def test_a_spanish_learner_reads_the_deployed_course_in_spanish(app, db, portal):
    package = _package({"es": SPANISH})
    deployment = services.deploy(package, portal)
    with as_tenant(portal):
        course = services.course_for(deployment)
        course_id, page_id = course.id, course.lessons[0].id
        db.session.commit()
    from app.learning.models import Lesson

    title = _shown(app, portal, "es", Course, course_id, "title")
    assert (title.text, title.locale, title.translated, title.outdated) == (
        "Lo básico de la seguridad",
        "es",
        True,
        False,
    )
    page = _shown(app, portal, "es", Lesson, page_id, "markdown")
    assert "<strong>remitente</strong>" in str(page.html)
    # The French learner has no French from the library: the original, not someone else's Spanish.
    assert _shown(app, portal, "fr", Course, course_id, "title").text == "Security basics"
    with as_tenant(portal):  # the workspace sees them as complete, ready to review
        state = translating.item_state(COURSE, db.session.get(Course, course_id), "es")
        assert state.status == "complete" and not state.reviewed


def test_an_upgrade_keeps_the_portals_own_translations_and_takes_the_librarys_new_ones(app, db, portal):
    package = _package({"es": SPANISH})
    deployment = services.deploy(package, portal)
    with as_tenant(portal):
        course = services.course_for(deployment)
        translating.save_translation(COURSE, course, "ar", {"title": "أساسيات الأمن"})
        # The portal rewords the library's Spanish description: that text is now its own.
        translating.save_translation(COURSE, course, "es", {"description": "Todo sobre la seguridad."})
        translating.save_translation(LESSON, course.lessons[0], "ar", {"title": "اكتشف الخدعة"})
        course_id = course.id
        db.session.commit()

    draft = services.start_new_draft(package)
    # A new draft starts from the published translations.
    assert draft.translations == {"es": {**SPANISH, "questions": []}}
    spanish_v2 = {
        "course": {"title": "Lo básico de la seguridad, 2026", "description": "Sobre la seguridad, 2026."},
        "lessons": SPANISH["lessons"],
    }
    services.update_draft(
        draft, **draft_fields(draft, title="Security basics 2026"), translations={"es": spanish_v2}
    )
    services.publish(draft)
    with as_tenant(portal):
        services.upgrade(deployment)
        db.session.commit()
        course = db.session.get(Course, course_id)
        new_page = course.lessons_for(course.library_version_id)[0]
        assert new_page.title == PAGE["title"] and new_page.library_version_id == course.library_version_id
        new_page_id = new_page.id

    assert _shown(app, portal, "es", Course, course_id, "title").text == "Lo básico de la seguridad, 2026"
    description = _shown(app, portal, "es", Course, course_id, "description")
    assert description.text == "Todo sobre la seguridad."  # the portal's wording stays
    arabic = _shown(app, portal, "ar", Course, course_id, "title")
    assert arabic.text == "أساسيات الأمن" and arabic.outdated  # kept, and flagged: the title changed since
    from app.learning.models import Lesson

    lesson = _shown(app, portal, "ar", Lesson, new_page_id, "title")
    assert (lesson.text, lesson.outdated) == ("اكتشف الخدعة", False)  # moved to the same lesson in v2


@pytest.mark.parametrize(
    ("translations", "message"),
    [
        ({"xx": SPANISH}, "does not offer"),
        ({"en": SPANISH}, "written in English already"),
        ({"es": {"course": {"tagline": "¡Hola!"}}}, "is not a text of the course"),
        ({"es": {"lessons": [{"transcript": "No es un vídeo."}]}}, "is not a text of lesson 1"),
        ({"es": {"lessons": [{}, {}, {"title": "Una de más"}]}}, "more lessons"),
        ({"es": {"lessons": [{"markdown": "Comprueba el remitente <b>ya</b>."}]}}, "tag"),
        ({"es": {"questions": [{"answer": "sí"}]}}, "is not a text of question 1"),
        ({"es": ["not", "a", "mapping"]}, "expected shape"),
    ],
)
def test_a_draft_refuses_translations_that_do_not_fit_and_keeps_what_it_had(db, translations, message):
    package = services.create_package(unique_slug(SLUG_PREFIX.rstrip("-")), "Security basics")
    draft = package.draft
    services.update_draft(draft, **draft_fields(draft, lessons=[PAGE, VIDEO]), translations={"es": SPANISH})
    with pytest.raises(ValidationError) as refused:
        services.update_draft(draft, **draft_fields(draft, title="Changed"), translations=translations)
    assert message in refused.value.message
    assert draft.title == "Security basics" and draft.translations["es"]["course"] == SPANISH["course"]


def test_the_demo_package_ships_spanish_and_french(app, db, tenant_factory):
    tenant = tenant_factory(audience="franchise", enabled_locales=["en", "es", "fr"], default_locale="en")
    load_library_demo((tenant.slug,))
    package = db.session.scalars(select(LibraryPackage).where(LibraryPackage.slug == SLUG)).one()
    version = package.latest_published
    assert sorted(version.translations) == ["es", "fr"]
    for locale in ("es", "fr"):
        lessons = version.translations[locale]["lessons"]
        assert len(lessons) == len(version.lessons) and all(t.get("title") for t in lessons)
    with as_tenant(tenant):
        course = services.course_for(services.find_deployment(package))
        course_id = course.id
        rows = db.session.scalars(select(ContentTranslation).where(ContentTranslation.locale == "fr")).all()
        assert len(rows) == 1 + len(version.lessons)  # the course and every lesson
        db.session.commit()
    assert _shown(app, tenant, "es", Course, course_id, "title").text == (
        "Fundamentos de concienciación en seguridad"
    )
    assert _shown(app, tenant, "fr", Course, course_id, "title").text == (
        "Les essentiels de la sensibilisation à la sécurité"
    )


def test_the_questions_of_a_library_quiz_arrive_translated_in_the_versions_order(app, db, platform, portal):
    from app.assessments import services as assessments
    from app.assessments.models import Question, Quiz
    from tests.assessments.conftest import QUESTIONS

    with as_tenant(platform):
        bank = assessments.create_bank(f"Translated bank {unique_slug()}")
        quiz = assessments.create_quiz({"title": f"Translated quiz {unique_slug()}", "pass_percent": 70})
        for question in QUESTIONS[:3]:
            assessments.add_fixed_question(quiz, assessments.add_question(bank, question))
        db.session.commit()
        quiz_id = quiz.id
    check = {"kind": "assessment", "title": "Check", "required": True, "quiz_id": str(quiz_id)}
    spanish = {
        "lessons": [{}, {"title": "Comprobación"}],
        "questions": [
            {"prompt": "¿Qué temperatura mantiene segura la comida caliente?"},
            {},
            {"prompt": "El pollo crudo se puede lavar en el fregadero."},
        ],
    }
    deployment = services.deploy(_package({"es": spanish}, lessons=[PAGE, check]), portal)
    with as_tenant(portal):
        lesson = next(x for x in services.course_for(deployment).lessons if x.kind == "assessment")
        quiz = db.session.get(Quiz, lesson.content["quiz_id"])
        ids = [section.question_id for section in quiz.sections]
        db.session.commit()
    prompts = [_shown(app, portal, "es", Question, question_id, "prompt") for question_id in ids]
    assert [(p.text, p.translated) for p in prompts] == [
        ("¿Qué temperatura mantiene segura la comida caliente?", True),
        (QUESTIONS[1]["prompt"], False),
        ("El pollo crudo se puede lavar en el fregadero.", True),
    ]
