"""An Arabic learner reads an Arabic-translated lesson and takes its Arabic quiz on a phone, right to left."""

from __future__ import annotations

import re
from typing import Any

import pytest

from app.accounts.services import create_user
from app.assessments import services as assessments
from app.learning.services import courses as authoring
from app.learning.services.enrollments import enrol
from app.multilingual import services as translations
from app.multilingual.kinds import kind_named, revision_fields
from app.tenancy import as_tenant
from tests.conftest import PASSWORD

ARABIC = {
    "Which temperature keeps hot food safe?": "ما درجة الحرارة التي تحافظ على سلامة الطعام الساخن؟",
    "63 °C or above": "63 درجة مئوية أو أكثر",
    "40 °C": "40 درجة مئوية",
    "20 °C": "20 درجة مئوية",
    "Right: 63 °C is the legal minimum.": "صحيح: 63 درجة مئوية هي الحد الأدنى القانوني.",
}


@pytest.fixture
def arabic_course(app, db, tenant_factory) -> dict[str, Any]:
    tenant = tenant_factory(display_name="Bistro", enabled_locales=["en", "ar"], default_locale="en")
    with as_tenant(tenant):
        learner = create_user(
            "layla@bistro.example", "Layla Haddad", password=PASSWORD, role_keys=("learner",), locale="ar"
        )
        bank = assessments.create_bank("Food safety")
        question = assessments.add_question(
            bank,
            {
                "type": "single",
                "prompt": "Which temperature keeps hot food safe?",
                "options": [
                    {
                        "text": "63 °C or above",
                        "correct": True,
                        "feedback": "Right: 63 °C is the legal minimum.",
                    },
                    {"text": "40 °C", "correct": False},
                    {"text": "20 °C", "correct": False},
                ],
            },
        )
        quiz = assessments.create_quiz(
            {"title": "Food Safety quiz", "pass_percent": 80, "layout": "one_page"}
        )
        assessments.add_fixed_question(quiz, question)
        course = authoring.create_course(
            {"title": "Food Safety Basics", "language": "en", "self_enroll": True, "listed": True}
        )
        page = authoring.add_lesson(
            course, "page", "Handwashing", True, {"body": "Wash for **20 seconds**."}, {}
        )
        test = authoring.add_lesson(
            course, "assessment", "Food Safety quiz", True, {"quiz_id": str(quiz.id)}, {}
        )
        authoring.set_course_status(course, "published")
        translations.save_translation(kind_named("course"), course, "ar", {"title": "أساسيات سلامة الغذاء"})
        translations.save_translation(
            kind_named("lesson"),
            page,
            "ar",
            {"title": "غسل اليدين", "markdown": "اغسل يديك لمدة **20 ثانية**."},
        )
        translations.save_translation(kind_named("lesson"), test, "ar", {"title": "اختبار سلامة الغذاء"})
        translations.save_translation(kind_named("quiz"), quiz, "ar", {"title": "اختبار سلامة الغذاء"})
        texts = {f.name: ARABIC[f.text] for f in revision_fields(question.current)}
        translations.save_translation(kind_named("question"), question, "ar", texts)
        enrollment, _new = enrol(learner, course)
        db.session.commit()
        return {
            "tenant": tenant,
            "page": f"/learn/{enrollment.id}/lessons/{page.id}",
            "test": f"/learn/{enrollment.id}/lessons/{test.id}",
        }


def _checked(portal: Any, where: str) -> None:
    assert portal.page.evaluate("() => document.documentElement.dir") == "rtl", where
    assert portal.axe_violations() == [], where
    assert portal.sideways_problems() == [], where


def test_an_arabic_learner_reads_the_lesson_and_takes_the_quiz_in_arabic(portal_for, arabic_course):
    portal = portal_for(arabic_course["tenant"], width=360, height=800, locale="ar")
    page = portal.page
    portal.sign_in("layla@bistro.example")

    portal.go(arabic_course["page"])
    assert page.inner_text("h1") == "غسل اليدين"
    assert "اغسل يديك لمدة 20 ثانية." in page.inner_text("article .prose")
    assert page.locator("article .prose[lang]").count() == 0  # Arabic on an Arabic page
    assert page.locator("[role=note]").count() == 0
    _checked(portal, "lesson")

    portal.go(arabic_course["test"])
    with page.expect_navigation():
        page.locator("form[action$='/attempts'] button").click()
    assert re.search(r"/attempts/\d+$", page.url), page.url
    assert page.inner_text("h1") == "اختبار سلامة الغذاء"
    assert "ما درجة الحرارة" in page.inner_text(".question-prompt")
    _checked(portal, "quiz")

    page.get_by_label("63 درجة مئوية أو أكثر").check()
    page.wait_for_selector("#saved-1 .saved-ok, #saved-1:not(:empty)")
    with page.expect_navigation():
        page.locator("button[data-submit-attempt]").click()
    assert page.url.endswith("/review"), page.url
    assert "صحيح: 63 درجة مئوية هي الحد الأدنى القانوني." in page.inner_text("main")
    _checked(portal, "result")
