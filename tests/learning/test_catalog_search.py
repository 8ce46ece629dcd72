"""The catalog's search: every word typed, in any order, in a course's title, description or category, or in
its title and description as the learner reads them translated; what is typed is looked for as typed."""

from __future__ import annotations

from typing import Any

import lxml.html  # installed with svglib (certificate PDFs)
import pytest

from app.inputs import MAX_SEARCH_WORDS, search_words
from app.learning.services import courses as authoring
from app.multilingual import services as translations
from app.multilingual.kinds import kind_named
from app.tenancy import as_tenant

COURSE = kind_named("course")


@pytest.fixture
def bistro(tenant_factory: Any) -> Any:
    return tenant_factory(enabled_locales=["en", "es", "fr"], default_locale="en")


def _course(tenant: Any, title: str, description: str = "", category: str | None = None) -> Any:
    with as_tenant(tenant):
        course = authoring.create_course(
            {
                "title": title,
                "description": description,
                "category": category,
                "language": "en",
                "self_enroll": True,
                "listed": True,
            }
        )
        authoring.add_lesson(course, "page", "Read first", True, {"body": "Read this."}, {})
        authoring.set_course_status(course, "published")
    return course


def _found(client: Any, query: str) -> list[str]:
    response = client.get("/catalog", query_string={"q": query})
    assert response.status_code == 200, response.status_code
    page = lxml.html.fromstring(response.get_data(as_text=True))
    return [" ".join(h.text_content().split()) for h in page.xpath("//ul[@class='cards']//h3")]


def test_every_word_is_found_in_any_order_and_in_the_title_description_or_category(
    db, bistro, user_factory, client_for
):
    _course(bistro, "Food Safety Basics", "Keep food safe in the kitchen.", category="Hygiene")
    _course(bistro, "Knife Skills", "Cut safely.", category="Kitchen")
    _course(bistro, "100% Hand Hygiene", "Wash_hands every time.")
    db.session.commit()
    client = client_for(bistro, user_factory(bistro))
    assert _found(client, "food safety") == _found(client, "safety food") == ["Food Safety Basics"]
    assert _found(client, "  SAFETY!  «food» ") == ["Food Safety Basics"]  # case, spaces, punctuation
    assert _found(client, "kitchen") == ["Food Safety Basics", "Knife Skills"]  # a description, a category
    assert _found(client, "hygiene") == ["100% Hand Hygiene", "Food Safety Basics"]
    assert _found(client, "knife food") == []  # every word must be found
    # % and _ are what they are, not wildcards: "%" alone found everything before.
    assert _found(client, "100%") == ["100% Hand Hygiene"]
    assert _found(client, "%") == ["100% Hand Hygiene"]
    assert _found(client, "wash_hands") == ["100% Hand Hygiene"]
    assert _found(client, "k_ife") == []
    assert "No course matches" in client.get("/catalog?q=k_ife").get_data(as_text=True)


def test_search_words_are_lowercased_stripped_kept_once_and_capped():
    assert search_words("  Food, SAFETY! food ") == ["food", "safety"]
    assert search_words("“hygiène” ¿qué?") == ["hygiène", "qué"]
    assert search_words("!!!") == ["!!!"]  # punctuation alone is looked for as typed
    assert search_words(" ".join(f"w{n}" for n in range(20))) == [f"w{n}" for n in range(MAX_SEARCH_WORDS)]
    assert search_words("") == [] and search_words("   ") == []


def test_a_learner_finds_a_course_by_its_title_in_the_language_they_read_it_in(
    db, bistro, user_factory, client_for
):
    course = _course(bistro, "Food Safety Basics", "Keep food safe.")
    _course(bistro, "Knife Skills", "Cut safely.")
    with as_tenant(bistro):
        texts = {"title": "Seguridad alimentaria", "description": "Mantén la comida segura."}
        translations.save_translation(COURSE, course, "es", texts)
        db.session.commit()
    spanish = client_for(bistro, user_factory(bistro, locale="es"))
    assert _found(spanish, "seguridad") == ["Seguridad alimentaria"]
    assert _found(spanish, "alimentaria SEGURIDAD") == ["Seguridad alimentaria"]
    assert _found(spanish, "comida") == ["Seguridad alimentaria"]  # the translated description
    assert _found(spanish, "food") == ["Seguridad alimentaria"]  # the original still finds it
    assert _found(spanish, "seguridad knife") == []
    # Someone who does not read Spanish is not shown the Spanish title, and does not find the course by it.
    for locale in ("en", "fr"):
        assert _found(client_for(bistro, user_factory(bistro, locale=locale)), "seguridad") == [], locale


def test_another_portals_translations_find_nothing_here(db, tenant_factory, bistro, user_factory, client_for):
    other = tenant_factory(enabled_locales=["en", "es"], default_locale="en")
    theirs = _course(other, "Their Course")
    _course(bistro, "Our Course")
    with as_tenant(other):
        translations.save_translation(COURSE, theirs, "es", {"title": "Curso secreto"})
        db.session.commit()
    assert _found(client_for(bistro, user_factory(bistro, locale="es")), "secreto") == []
    assert _found(client_for(other, user_factory(other, locale="es")), "secreto") == ["Curso secreto"]


def test_a_translation_added_counts_at_once_in_a_search_of_more_than_a_page(
    db, bistro, user_factory, client_for
):
    """A search of more than a page keeps its total until the catalog changes: a translation changes it."""
    courses = [_course(bistro, f"Course {n:02d}") for n in range(26)]
    with as_tenant(bistro):
        for course in courses[:25]:
            translations.save_translation(COURSE, course, "es", {"title": f"Curso {course.title[-2:]}"})
        db.session.commit()
    client = client_for(bistro, user_factory(bistro, locale="es"))
    assert "25 cursos" in client.get("/catalog?q=curso").get_data(as_text=True)
    assert "25 cursos" in client.get("/catalog?q=curso").get_data(as_text=True)  # kept
    with as_tenant(bistro):
        translations.save_translation(COURSE, courses[25], "es", {"title": "Curso 25"})
        db.session.commit()
    assert "26 cursos" in client.get("/catalog?q=curso").get_data(as_text=True)


def test_a_capital_accented_letter_is_found_in_either_case_on_either_database(
    db, bistro, user_factory, client_for
):
    """SQLite's own lower() folds only A to Z: "Ética" and "Übung" would not be found by "ética", "übung"."""
    _course(bistro, "Ética profesional", "Für Übung und Ärger.")
    db.session.commit()
    client = client_for(bistro, user_factory(bistro))
    for query in ("ética", "ÉTICA", "übung", "ärger", "PROFESIONAL ética"):
        assert _found(client, query) == ["Ética profesional"], query
