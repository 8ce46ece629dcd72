"""Questions as a learner reads them: the revision's texts in their language, its ids and answer key as is.

Grading never sees this: it works on the stored revision. The pages show a copy whose option, item and
pair texts, feedback and prompt come from the content reader, so the ids a learner posts are the
original ones and a translated question scores exactly as the original does.

The reader is reached through the template helpers ``app.multilingual`` registers (``tr``, ``tr_html``,
``reads_translated``),
not imported: its registry of translatable kinds imports this feature's models.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import current_app
from markupsafe import Markup

from app.assessments.models import QuestionRevision


@dataclass(frozen=True)
class ShownRevision:
    """A question revision with its texts as this person reads them (same type, points, ids)."""

    id: int
    question_id: int
    type: str
    points: int
    prompt_html: Markup
    data: dict[str, Any]


def shown_revision(revision: QuestionRevision) -> ShownRevision:
    """*revision* with every text it shows a learner in their language, where a translation exists."""
    filters = current_app.jinja_env.filters
    if not filters["reads_translated"](revision):
        # Nothing to swap (the learner reads the original): the stored texts as they are, not copied.
        return ShownRevision(
            id=revision.id,
            question_id=revision.question_id,
            type=revision.type,
            points=revision.points,
            prompt_html=Markup(revision.prompt_html or ""),  # noqa: S704 - sanitised when the revision was saved
            data=revision.data or {},
        )
    translated: Callable[[Any, str], str] = filters["tr"]

    def text(name: str, original: Any) -> Any:
        return translated(revision, name) or original

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
        prompt_html=filters["tr_html"](revision, "prompt", revision.prompt_html),
        data=data,
    )
