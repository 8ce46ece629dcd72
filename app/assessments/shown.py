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
from collections.abc import Callable, Iterable
from typing import Any, NamedTuple

from flask import current_app
from markupsafe import Markup

from app.assessments import grading
from app.assessments.models import AttemptItem, QuestionRevision, QuestionType
from app.reader_translations import request_translations

# A prompt in the page's language may still be written right to left: the browser decides.
_PROMPT_DIR_AUTO = Markup(' dir="auto"')
_MATCHING = QuestionType.matching.value


class ShownRevision(NamedTuple):
    """A question revision with its texts as this person reads them (same type, points, ids).

    A tuple rather than a frozen dataclass: an attempt's page makes one per question, and a frozen
    dataclass sets each field with a call of its own.
    """

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


class ShownQuestion(NamedTuple):
    """One question of an attempt as its page writes it, looked up once: the page's macro only writes it."""

    item: AttemptItem
    rev: ShownRevision
    number: Markup  # "Question 2 of 10"
    points: Markup  # "1 point"
    prompt_attrs: Markup  # the prompt's lang and dir, or dir="auto" when it reads in the page's language
    choices: list[tuple[str, str]]  # a choice question's (option id, label) in this attempt's order
    columns: tuple[list[str], list[str]] | None  # a matching question's right and left columns (pair ids)
    answered: bool  # saved, and answering the whole question (every step placed, every item matched)


def shown_questions(items: Iterable[AttemptItem], total: int) -> list[ShownQuestion]:
    """The attempt's *items* (of *total* questions) as the learner reads them, with what their page
    writes of each: its words are those the template's ``_()`` and ``ngettext()`` would give, looked up
    once for the page rather than once a question."""
    helpers = current_app.jinja_env.globals
    content_reading: Callable[..., Any] = helpers["content_reading"]  # type: ignore[assignment]
    lang_attrs: Callable[[str | None], Markup] = helpers["lang_attrs"]  # type: ignore[assignment]
    catalog = request_translations()
    number_of = catalog.ugettext("Question %(n)d of %(total)d")
    points_of: dict[int, Markup] = {}
    attrs_of: dict[str | None, Markup] = {}  # a prompt's attributes by its language: the same for most
    shown = []
    for item in items:
        revision = item.revision
        rev = shown_revision(revision)
        locale = content_reading(revision, "prompt").locale
        prompt_attrs = attrs_of.get(locale)
        if prompt_attrs is None:
            prompt_attrs = attrs_of[locale] = lang_attrs(locale) or _PROMPT_DIR_AUTO
        points = points_of.get(rev.points)
        if points is None:
            words = catalog.ungettext("%(num)d point", "%(num)d points", rev.points)
            points = points_of[rev.points] = Markup(words % {"num": int(rev.points)})  # noqa: S704 - as below
        shown.append(
            ShownQuestion(
                item,
                rev,
                # A translation from our own catalogues, as the template's would be; numbers need no escaping.
                Markup(number_of % {"n": int(item.position), "total": total}),  # noqa: S704
                points,
                prompt_attrs,
                _choices(rev, item.display_order) if rev.type in grading.CHOICE_TYPES else [],
                grading.matching_orders(rev, item.display_order) if rev.type == _MATCHING else None,  # type: ignore[arg-type]
                item.answered_at is not None
                and grading.is_answered(revision, item.display_order, item.answer),
            )
        )
    return shown


def _choices(rev: ShownRevision, option_ids: Iterable[str]) -> list[tuple[str, str]]:
    """Each of *option_ids* with its label as ``grading.option_label`` words it, options read once."""
    if rev.type == QuestionType.true_false.value:
        return [(option_id, grading.option_label(rev, option_id)) for option_id in option_ids]  # type: ignore[arg-type]
    texts: dict[str, str] = {}
    for option in rev.data.get("options", []):
        texts.setdefault(option["id"], str(option["text"]))  # the first option of an id, as option_label
    return [(option_id, texts.get(option_id, option_id)) for option_id in option_ids]
