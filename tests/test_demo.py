"""The demo's content holds together: every quiz question is taught by the lessons of its course or path."""

from __future__ import annotations

import re
from typing import Any

import pytest

from app.assessments.demo import EXAM_QUESTIONS, FOOD_SAFETY_QUESTIONS
from app.learning.demo import FOOD_SAFETY, SELLING

# A true-or-false statement has no answer text to look for: the sentence of the lesson that settles it.
SETTLED_BY = {
    "Partners may quote below the published floor price to win a deal.": "partners may never quote below it",
    "Raw chicken should be rinsed under the tap before cooking.": "never rinse raw chicken under the tap",
}


def _plain(markdown: str) -> str:
    return " ".join(markdown.replace("*", "").casefold().split())


def _answers(question: dict[str, Any]) -> list[str]:
    """What a learner must have read to answer *question* (for ordering questions, in that order)."""
    kind = question["type"]
    if kind in ("single", "multiple"):
        return [option["text"] for option in question["options"] if option.get("correct")]
    if kind == "true_false":
        return [SETTLED_BY[question["prompt"]]]
    if kind == "short_answer":
        return [question["accepted"]]
    if kind == "numeric":
        return [question["answer"]]
    if kind == "ordering":
        return question["items"].splitlines()
    if kind == "matching":
        return [text for pair in question["pairs"] for text in (pair["left"], pair["right"])]
    raise AssertionError(f"no rule for {kind}")


@pytest.mark.parametrize(
    ("questions", "lessons"),
    [
        (FOOD_SAFETY_QUESTIONS, [body for _kind, _title, body in FOOD_SAFETY]),
        (EXAM_QUESTIONS, [body for _title, _kind, body in SELLING]),
    ],
    ids=["bistro food safety quiz", "partners certification-prep exam"],
)
def test_every_demo_quiz_question_is_answered_in_the_lessons(questions, lessons):
    taught = _plain("\n\n".join(lessons))
    for question in questions:
        position = 0
        for answer in _answers(question):
            if isinstance(answer, list):  # any accepted short answer will do
                assert any(_plain(a) in taught for a in answer), (question["prompt"], answer)
                continue
            found = re.search(rf"(?<!\w){re.escape(_plain(answer).rstrip('.'))}(?!\w)", taught[position:])
            assert found, f"{question['prompt']!r}: the lessons never teach {answer!r}"
            if question["type"] == "ordering":
                position += found.end()


def test_demo_course_leaves_out_its_video_lesson_without_pyav(db, tenant_factory, monkeypatch, caplog):
    import sys

    from app.learning import demo as learning_demo
    from app.tenancy import as_tenant

    monkeypatch.setitem(sys.modules, "av", None)  # `import av` raises ImportError, as without the demo extra
    tenant = tenant_factory()
    with as_tenant(tenant):
        course = learning_demo._course(
            "Food Safety Basics",
            learning_demo.FOOD_SAFETY,
            category="Food safety",
            tags=[],
            minutes=25,
            description="The four habits.",
        )
        kinds = [lesson.kind for lesson in course.lessons]
    assert "video" not in kinds
    assert kinds == [kind for kind, _title, _body in learning_demo.FOOD_SAFETY if kind != "video"]
    assert course.status == "published"
    assert "atrium[demo]" in caplog.text


def test_demo_course_has_its_rendered_video_with_pyav(db, tenant_factory):
    pytest.importorskip("av")  # the dev extra installs the demo extra, so this runs under make test
    from app.learning import demo as learning_demo
    from app.tenancy import as_tenant

    tenant = tenant_factory()
    with as_tenant(tenant):
        course = learning_demo._course(
            "Food Safety Basics",
            learning_demo.FOOD_SAFETY,
            category="Food safety",
            tags=[],
            minutes=25,
            description="The four habits.",
        )
        videos = [lesson for lesson in course.lessons if lesson.kind == "video"]
    assert len(videos) == 1 and videos[0].content["video"]
