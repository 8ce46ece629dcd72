"""A learner takes a quiz in their language: its texts are translated, its questions and grading are not."""

from __future__ import annotations

from typing import Any

import lxml.html  # installed with svglib (certificate PDFs)
from sqlalchemy import select

from app.assessments.models import Question, Quiz
from app.multilingual import services as translations
from app.multilingual.kinds import kind_named, revision_fields
from app.tenancy import as_tenant
from tests.assessments.conftest import right_answers
from tests.assessments.test_taking import _attempt, _enrolled, _start, _submit

QUESTION, QUIZ = kind_named("question"), kind_named("quiz")
SPANISH = {
    "Which temperature keeps hot food safe?": "¿Qué temperatura mantiene segura la comida caliente?",
    "63 °C or above": "63 °C o más",
    "Right: 63 °C is the legal minimum.": "Correcto: 63 °C es el mínimo legal.",
    "Too cool: bacteria grow between 8 and 63 °C.": "Demasiado frío: las bacterias crecen entre 8 y 63 °C.",
    "Wet hands": "Mojarse las manos",
    "Red": "Rojo",
    "Raw meat": "Carne cruda",
}


def _in_spanish(text: str) -> str:
    return SPANISH.get(text, f"ES {text}")


def _translate_quiz(db: Any, tenant: Any, quiz_id: int) -> None:
    with as_tenant(tenant):
        quiz = db.session.get(Quiz, quiz_id)
        translations.save_translation(QUIZ, quiz, "es", {"title": "Cuestionario de seguridad alimentaria"})
        for question in db.session.scalars(select(Question)):
            texts = {f.name: _in_spanish(f.text) for f in revision_fields(question.current)}
            translations.save_translation(QUESTION, question, "es", texts)
        db.session.commit()


def _answer_half(attempt: Any) -> dict[str, list[str]]:
    """Right answers to the choice and ordering questions only: a score that is neither 0 nor 100."""
    form = right_answers(attempt)
    kept = {
        f"answer-{i.position}" for i in attempt.items if i.revision.type in ("single", "multiple", "ordering")
    }
    return {name: value for name, value in form.items() if name.rsplit("-", 1)[0] in kept or name in kept}


def _choices(page: Any) -> dict[str, set[str]]:
    """Each question's answer field with the values it offers, by the question's prompt position."""
    found: dict[str, set[str]] = {}
    for control in page.xpath("//fieldset[@class='question']//input[@type!='hidden'] | //fieldset//select"):
        if control.tag == "select":
            found.setdefault(control.get("name"), set()).update(
                o.get("value") for o in control.xpath("option")
            )
        else:
            found.setdefault(control.get("name"), set()).add(control.get("value") or "")
    return found


def test_a_spanish_learner_reads_the_quiz_in_spanish_and_scores_as_in_english(
    db, tenant_factory, user_factory, client_for, gated_course
):
    tenant = tenant_factory(enabled_locales=["en", "es"], default_locale="en")
    made = gated_course(tenant)
    _translate_quiz(db, tenant, made["quiz"])
    results = {}
    pages = {}
    for locale in ("en", "es"):
        learner = user_factory(tenant, locale=locale)
        enrollment_id = _enrolled(db, tenant, learner, made["course"])
        client = client_for(tenant, learner)
        attempt_id = _start(client, enrollment_id, made["test"])
        page = lxml.html.fromstring(client.get(f"/attempts/{attempt_id}").get_data(as_text=True))
        response = _submit(client, attempt_id, _answer_half(_attempt(db, tenant, attempt_id)))
        assert response.status_code == 302, response.get_data(as_text=True)
        attempt = _attempt(db, tenant, attempt_id)
        results[locale] = (attempt.score_points, attempt.score_percent, attempt.passed)
        review = client.get(f"/attempts/{attempt_id}/review").get_data(as_text=True)
        pages[locale] = (page, review)

    assert results["es"] == results["en"]
    assert 0 < results["es"][1] < 100, results

    spanish, review = pages["es"]
    text = " ".join(spanish.text_content().split())
    assert "Cuestionario de seguridad alimentaria" in spanish.xpath("//h1")[0].text_content()
    assert "¿Qué temperatura mantiene segura la comida caliente?" in text
    labels = [" ".join(label.text_content().split()) for label in spanish.xpath("//label[@class='check']")]
    assert "63 °C o más" in labels and "63 °C or above" not in labels
    assert "Mojarse las manos" in text and "Rojo" in text and "Carne cruda" in text
    assert "Which temperature" not in text
    # The same questions ask for the same answers: field names and option ids as in English.
    assert _choices(spanish) == _choices(pages["en"][0])
    assert not spanish.xpath("//*[@role='note']")  # quiz and every question are in Spanish

    assert "Correcto: 63 °C es el mínimo legal." in review
    assert "Right: 63 °C is the legal minimum." not in review
    english_review = pages["en"][1]
    assert "Right: 63 °C is the legal minimum." in english_review and "Correcto" not in english_review


def test_a_quiz_partly_translated_says_it_is_shown_in_english(
    db, tenant_factory, user_factory, client_for, gated_course
):
    tenant = tenant_factory(enabled_locales=["en", "es"], default_locale="en")
    made = gated_course(tenant)
    with as_tenant(tenant):
        translations.save_translation(
            QUIZ, db.session.get(Quiz, made["quiz"]), "es", {"title": "Cuestionario"}
        )
        db.session.commit()
    learner = user_factory(tenant, locale="es")
    enrollment_id = _enrolled(db, tenant, learner, made["course"])
    client = client_for(tenant, learner)
    attempt_id = _start(client, enrollment_id, made["test"])
    page = lxml.html.fromstring(client.get(f"/attempts/{attempt_id}").get_data(as_text=True))
    notes = [" ".join(n.text_content().split()) for n in page.xpath("//*[@role='note']")]
    assert notes == ["Todavía no está disponible en español; se muestra en inglés."]  # in the learner's words
    prompts = page.xpath("//div[contains(@class, 'question-prompt')]")
    assert prompts and all((p.get("lang"), p.get("dir")) == ("en", "ltr") for p in prompts)
