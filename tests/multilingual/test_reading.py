"""A portal's content in the reader's language: translations, fallback, outdated texts, isolation, cost."""

from __future__ import annotations

from typing import Any

import pytest
from flask import g
from flask_babel import force_locale
from sqlalchemy import select

from app.errors import ValidationErrors
from app.learning.services import courses
from app.multilingual import reading, services
from app.multilingual.kinds import kind_named
from app.multilingual.models import ContentTranslation
from app.tenancy import as_tenant

COURSE = kind_named("course")
LESSON = kind_named("lesson")


@pytest.fixture
def bistro(tenant_factory: Any) -> Any:
    return tenant_factory(enabled_locales=["en", "es", "fr", "ar"], default_locale="en")


def _course(title: str = "Food Safety Basics", **fields: Any) -> Any:
    course = courses.create_course(
        {"title": title, "description": "Keep food safe.", "language": "en", **fields}
    )
    courses.add_lesson(course, "page", "Handwashing", True, {"body": "Wash for **20 seconds**."}, {})
    return course


def _read(app: Any, tenant: Any, locale: str, fn: Any) -> Any:
    with app.test_request_context(), as_tenant(tenant), force_locale(locale):
        g.tenant = tenant
        return fn()


def test_a_learner_reads_their_language_then_the_portals_then_the_original(app, db, tenant_factory):
    french_portal = tenant_factory(enabled_locales=["en", "es", "fr", "ar"], default_locale="fr")
    english_portal = tenant_factory(enabled_locales=["en", "es", "fr", "ar"], default_locale="en")
    made = {}
    for portal in (french_portal, english_portal):
        with as_tenant(portal):
            course = made[portal.id] = _course()
            services.save_translation(COURSE, course, "es", {"title": "Seguridad alimentaria"})
            services.save_translation(COURSE, course, "fr", {"title": "Sécurité alimentaire"})
            db.session.commit()

    def shown(portal: Any, locale: str) -> Any:
        def look() -> Any:
            course = db.session.get(type(made[portal.id]), made[portal.id].id)
            return reading.reader().shown(course, "title"), reading.reading_of(course)

        return _read(app, portal, locale, look)

    spanish, how = shown(french_portal, "es")
    assert (spanish.text, spanish.locale, spanish.outdated, how.fallback) == (
        "Seguridad alimentaria",
        "es",
        False,
        False,
    )
    arabic, how = shown(french_portal, "ar")  # no Arabic: the portal's French, and it says so
    assert (arabic.text, arabic.locale, how.fallback) == ("Sécurité alimentaire", "fr", True)
    english, how = shown(french_portal, "en")  # the language it was written in: the original
    assert (english.text, english.translated, how.fallback) == ("Food Safety Basics", False, False)
    arabic, how = shown(english_portal, "ar")  # the portal's language is the original's
    assert (arabic.text, arabic.locale, how.fallback) == ("Food Safety Basics", "en", True)


def test_editing_the_source_marks_only_that_texts_translation_outdated(app, db, bistro):
    with as_tenant(bistro):
        course = _course()
        lesson = course.lessons[0]
        services.save_translation(
            LESSON, lesson, "es", {"title": "Lavado de manos", "markdown": "Lávate **20 segundos**."}
        )
        db.session.commit()
        assert services.item_state(LESSON, lesson, "es").status == "complete"
        courses.update_lesson(lesson, "Handwashing", True, {"body": "Wash for **30 seconds**."}, {})
        db.session.commit()
        state = services.item_state(LESSON, lesson, "es")
        assert state.status == "outdated"
        assert [(f.field.name, f.outdated) for f in state.fields] == [("title", False), ("markdown", True)]

    def shown() -> Any:
        found = db.session.get(type(lesson), lesson.id)
        return reading.reader().shown(found, "markdown"), reading.reading_of(found)

    text, summary = _read(app, bistro, "es", shown)
    assert text.outdated and "<strong>20 segundos</strong>" in str(text.html)  # still shown, marked behind
    assert summary.outdated and not summary.fallback


def test_a_translation_that_drops_a_link_or_placeholder_is_refused_and_nothing_is_written(app, db, bistro):
    with as_tenant(bistro):
        course = courses.create_course({"title": "Hello {name}", "language": "en"})
        courses.add_lesson(
            course, "page", "Rules", True, {"body": "Read [the rules](https://example.com/r)."}, {}
        )
        db.session.commit()
        with pytest.raises(ValidationErrors) as refused:
            services.save_translation(
                LESSON, course.lessons[0], "es", {"title": "Normas", "markdown": "Lee las normas."}
            )
        assert [e.field for e in refused.value.errors] == ["markdown"]
        with pytest.raises(ValidationErrors):
            services.save_translation(COURSE, course, "es", {"title": "Hola"})
        with pytest.raises(ValidationErrors) as unknown:
            services.save_translation(COURSE, course, "es", {"subtitle": "x"})
        assert unknown.value.errors[0].field == "subtitle"
        db.session.rollback()
        assert db.session.scalars(select(ContentTranslation)).all() == []


def test_a_translation_into_the_items_own_language_or_one_the_portal_lacks_is_refused(app, db, bistro):
    from app.errors import ValidationError

    with as_tenant(bistro):
        course = _course()
        for locale in ("en", "de", "xx"):
            with pytest.raises(ValidationError) as refused:
                services.save_translation(COURSE, course, locale, {"title": "Titel"})
            assert refused.value.field == "locale"


def test_one_portals_translations_are_invisible_to_another(app, db, bistro, tenant_factory):
    acme = tenant_factory(enabled_locales=["en", "es"])
    with as_tenant(bistro):
        course = _course()
        services.save_translation(COURSE, course, "es", {"title": "Seguridad alimentaria"})
        db.session.commit()
    with as_tenant(acme):
        assert db.session.scalars(select(ContentTranslation)).all() == []
        other = _course("Forklift safety")
        db.session.commit()
    with app.test_request_context(), as_tenant(acme), force_locale("es"):
        g.tenant = acme
        assert reading.translated(db.session.get(type(other), other.id), "title") == "Forklift safety"


def test_reading_many_translated_titles_costs_one_query(app, db, bistro, count_queries):
    with as_tenant(bistro):
        made = [_course(f"Course {n}") for n in range(12)]
        for course in made:
            services.save_translation(COURSE, course, "es", {"title": f"Curso {course.id}"})
        db.session.commit()
        ids = [c.id for c in made]
    db.session.expunge_all()
    with app.test_request_context(), as_tenant(bistro), force_locale("es"):
        g.tenant = bistro
        from app.learning.models import Course

        loaded = db.session.scalars(select(Course).where(Course.id.in_(ids))).all()
        with count_queries() as counter:
            titles = [reading.translated(course, "title") for course in loaded]
            titles += [reading.translated(course, "title") for course in loaded]
        assert titles[:12] == [f"Curso {c.id}" for c in loaded]
        assert counter.count == 1
    with app.test_request_context(), as_tenant(bistro), force_locale("en"):
        g.tenant = bistro
        with count_queries() as counter:
            assert reading.translated(loaded[0], "title") == loaded[0].title
        assert counter.count == 0  # the original language: no lookup at all


def test_the_translation_notice_names_the_first_item_read_in_another_language_and_any_behind(app, db, bistro):
    """content_notice reads a page's items at once and says what reading them one by one said."""
    with as_tenant(bistro):
        course = _course()
        lesson = course.lessons[0]
        services.save_translation(COURSE, course, "es", {"title": "Seguridad alimentaria"})
        services.save_translation(
            LESSON, lesson, "es", {"title": "Lavado de manos", "markdown": "Lávate **20 segundos**."}
        )
        db.session.commit()
        courses.update_lesson(lesson, "Handwashing", True, {"body": "Wash for **30 seconds**."}, {})
        db.session.commit()

    def notices() -> Any:
        found_course = db.session.get(type(course), course.id)
        found_lesson = db.session.get(type(lesson), lesson.id)
        answers = []
        for items in (
            [found_course],
            [found_lesson],
            [found_course, found_lesson],
            [found_lesson, found_course],
        ):
            one_by_one = [reading.reading_of(item) for item in items]
            first = next((r for r in one_by_one if r.fallback), None)
            assert reading.notice_of(items) == (first, any(r.outdated for r in one_by_one))
            answers.append(reading.notice_of(items))
        return answers

    spanish = _read(app, bistro, "es", notices)
    assert spanish == [(None, False), (None, True), (None, True), (None, True)]  # the lesson's text is behind
    french = _read(app, bistro, "fr", notices)  # nothing in French: both shown in English, the original
    assert [(r.locale if r else None, behind) for r, behind in french] == [("en", False)] * 4
    assert _read(app, bistro, "en", notices) == [(None, False)] * 4  # the language they were written in
    with pytest.raises(TypeError):
        _read(app, bistro, "en", lambda: reading.notice_of([bistro]))
