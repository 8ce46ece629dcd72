"""Questions as a learner reads them: the revision's texts in their language, its ids and answer key as is.

Grading never sees this: it works on the stored revision. The pages show a copy whose option, item and
pair texts, feedback and prompt come from the reader, so the ids a learner posts are the original ones
and a translated question scores exactly as the original does.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

from markupsafe import Markup

from app.assessments.models import QuestionRevision
from app.multilingual.reading import Reading, reader, translated_html


@dataclass(frozen=True)
class ShownRevision:
    """A question revision with its texts as this person reads them (same type, points, ids)."""

    id: int
    question_id: int
    type: str
    points: int
    prompt_html: Markup
    data: dict[str, Any]
    reading: Reading


def shown_revision(revision: QuestionRevision) -> ShownRevision:
    """*revision* with every text it shows a learner in their language, where a translation exists."""
    read = reader()

    def text(name: str, original: Any) -> Any:
        shown = read.shown(revision, name)
        return shown.text if shown.translated else original

    data = copy.deepcopy(revision.data or {})
    for option in data.get("options", []):
        for part in ("text", "feedback"):
            if option.get(part):
                option[part] = text(f"option.{option.get('id')}.{part}", option[part])
    for item in data.get("items", []):
        if item.get("text"):
            item["text"] = text(f"item.{item.get('id')}.text", item["text"])
    for pair in data.get("pairs", []):
        for side in ("left", "right"):
            if pair.get(side):
                pair[side] = text(f"pair.{pair.get('id')}.{side}", pair[side])
    for name in ("feedback_correct", "feedback_incorrect"):
        if data.get(name):
            data[name] = text(name, data[name])
    return ShownRevision(
        id=revision.id,
        question_id=revision.question_id,
        type=revision.type,
        points=revision.points,
        prompt_html=translated_html(revision, "prompt", revision.prompt_html),
        data=data,
        reading=read.reading(revision, "prompt"),
    )
