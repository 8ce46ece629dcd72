"""Stored codes are shown as words: every lesson kind names itself in a course outline."""

from __future__ import annotations

from app.labels import label
from app.learning.lesson_kinds import REGISTRY


def test_every_lesson_kind_has_a_word_in_the_course_outline(app):
    with app.test_request_context("/"):
        words = {key: label("lesson_kind", key) for key in REGISTRY}
    assert {"page", "video", "file", "assessment", "checkpoint", "policy"} <= set(words)
    assert all(word and word != key for key, word in words.items()), words
    assert words["policy"] == "Policy"
    # The outline's short word, not the author's "Assessment (quiz)".
    assert words["assessment"] == "Assessment"
