"""Read a learner's answer from a form and grade it against a question revision, on the server only."""

from __future__ import annotations

import functools
import logging
import re
import unicodedata
from collections.abc import Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

import re2
from flask_babel import gettext as _

from app.assessments.models import QuestionRevision, QuestionType
from app.errors import ValidationError
from app.inputs import whole_number

CHOICE_TYPES = {QuestionType.single.value, QuestionType.multiple.value, QuestionType.true_false.value}
MAX_TEXT_ANSWER = 500
MAX_PATTERN = 200
MAX_NUMBER_DIGITS = 15  # before and after the decimal point, in answers and answer keys
# NFKC can lengthen text (one ligature becomes several letters): a stored answer longer than this is
# not matched against a pattern at all, so grading time stays bounded whatever was stored.
MAX_GRADED_TEXT = 4 * MAX_TEXT_ANSWER

log = logging.getLogger(__name__)


def _pattern_options() -> Any:
    options = re2.Options()
    options.case_sensitive = False
    options.log_errors = False
    return options


def pattern_problem(pattern: str) -> str | None:
    """Why an author's short-answer pattern cannot be used, in their language; None when it can.

    Patterns run on RE2, whose matching time grows only with the answer's length (no catastrophic
    backtracking, whatever the pattern), so features that need backtracking are refused when saved.
    """
    if len(pattern) > MAX_PATTERN:
        return _("Keep the pattern under 200 characters.")
    try:
        re2.compile(pattern, _pattern_options())
    except re2.error as exc:
        try:
            re.compile(pattern)
        except re.error as python_error:
            return _("The pattern is not a valid regular expression: %(error)s", error=str(python_error))
        reason = (
            exc.args[0].decode("utf-8", "replace") if exc.args and isinstance(exc.args[0], bytes) else exc
        )
        return _(
            "This pattern cannot be used to check answers (%(error)s). Patterns may not use "
            "back-references such as \\1, look-ahead or look-behind, or repeat counts over 1000.",
            error=str(reason),
        )
    return None


@functools.lru_cache(maxsize=512)
def compiled_pattern(pattern: str) -> Any | None:
    """The author's pattern compiled for RE2; None (and a log line, once) if it cannot be.

    Patterns saved before they were checked at save time may not compile: they match nothing.
    """
    if len(pattern) > MAX_PATTERN * 5:
        log.warning(
            "short-answer pattern too long to grade (%d characters); treated as no match", len(pattern)
        )
        return None
    try:
        return re2.compile(pattern, _pattern_options())
    except re2.error as exc:
        log.warning("short-answer pattern %r cannot be graded (%s); treated as no match", pattern, exc)
        return None


def pattern_matches(pattern: str, answer: str) -> bool:
    """Whether the whole (normalised) *answer* matches *pattern*, ignoring case, in linear time."""
    if len(answer) > MAX_GRADED_TEXT:
        return False
    compiled = compiled_pattern(pattern)
    return compiled is not None and compiled.fullmatch(answer) is not None


def normalise_text(value: str) -> str:
    """Compare typed answers ignoring case, accents' composed forms and runs of spaces."""
    return " ".join(unicodedata.normalize("NFKC", value or "").casefold().split())


class NumberOutOfRange(ValidationError):
    """A number that reads fine but has too many digits to be compared safely."""


def _within_digits(number: Decimal) -> bool:
    _sign, digits, exponent = number.as_tuple()
    if not isinstance(exponent, int):  # NaN and infinities carry a letter here
        return False
    return len(digits) + exponent <= MAX_NUMBER_DIGITS and -exponent <= MAX_NUMBER_DIGITS


def parse_number(value: str) -> Decimal | None:
    """Read a number typed as 3.5, 3,5 or 1 000; None for an empty answer.

    Refuses infinities, NaN and numbers like 1e999999999 whose arithmetic overflows: at most
    MAX_NUMBER_DIGITS digits before and after the decimal point.
    """
    text = (value or "").strip().replace("\u00a0", "").replace(" ", "")
    if not text:
        return None
    text = text.replace(",", ".") if "," in text and "." not in text else text.replace(",", "")
    try:
        number = Decimal(text) if len(text) <= 100 else None
    except InvalidOperation:
        number = None
    if number is None or not number.is_finite():
        raise ValidationError(_("Enter a number, such as 63 or 2.5."))
    if not _within_digits(number):
        raise NumberOutOfRange(
            _("Enter a number with at most 15 digits before and 15 after the decimal point.")
        )
    return number


def stored_number(value: Any) -> Decimal | None:
    """A number stored in an answer or answer key, or None when it is not one that can be compared."""
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError, TypeError):
        return None
    return number if number.is_finite() and _within_digits(number) else None


def field_name(position: int, part: str | None = None) -> str:
    return f"answer-{position}" if part is None else f"answer-{position}-{part}"


def parse_answer(
    revision: QuestionRevision, display_order: Sequence[str], position: int, form: Mapping[str, list[str]]
) -> Any:
    """Turn the posted fields for the question at *position* into a stored answer (None: unanswered).

    Values that are not among the choices this learner was shown are refused.
    """
    kind = revision.type
    name = field_name(position)
    if kind in (QuestionType.single.value, QuestionType.true_false.value):
        values = [v for v in form.get(name, []) if v]
        if not values:
            return None
        if len(values) > 1 or values[0] not in display_order:
            raise ValidationError(_("Choose one of the answers shown."))
        return values[0]
    if kind == QuestionType.multiple.value:
        values = [v for v in form.get(name, []) if v]
        if any(v not in display_order for v in values):
            raise ValidationError(_("Choose among the answers shown."))
        return sorted(set(values)) or None
    if kind == QuestionType.short_answer.value:
        text = " ".join((form.get(name) or [""])[0].split())
        if len(text) > MAX_TEXT_ANSWER:
            raise ValidationError(_("Keep the answer under %(n)d characters.", n=MAX_TEXT_ANSWER))
        return text or None
    if kind == QuestionType.numeric.value:
        raw = (form.get(name) or [""])[0]
        number = parse_number(raw)
        return None if number is None else str(number)
    if kind == QuestionType.ordering.value:
        ranks: dict[str, int] = {}
        for item_id in display_order:
            raw = (form.get(field_name(position, item_id)) or [""])[0]
            if not raw:
                continue
            try:
                ranks[item_id] = whole_number(raw, minimum=1, maximum=len(display_order))
            except ValueError:
                raise ValidationError(
                    _("Give each step a place from 1 to %(n)d.", n=len(display_order))
                ) from None
        if not ranks:
            return None
        if len(set(ranks.values())) != len(ranks):
            raise ValidationError(_("Give each step a different place."))
        # One slot per place, None where no step was placed yet: a partial order keeps its places.
        slots: list[str | None] = [None] * len(display_order)
        for item_id, rank in ranks.items():
            slots[rank - 1] = item_id
        return slots
    if kind == QuestionType.matching.value:
        # Fields are named by the left side's place as shown (m0, m1 …), never by a pair id, so the
        # form does not reveal which right-hand side belongs to which left.
        rights, lefts = matching_orders(revision, display_order)
        matches: dict[str, str] = {}
        for index, left in enumerate(lefts):
            raw = (form.get(field_name(position, f"m{index}")) or [""])[0]
            if not raw:
                continue
            if raw not in rights:
                raise ValidationError(_("Choose a match from the list."))
            matches[left] = raw
        return matches or None
    raise ValidationError(_("This kind of question cannot be answered."))


def matching_orders(revision: QuestionRevision, display_order: Sequence[str]) -> tuple[list[str], list[str]]:
    """A matching question's right-hand and left-hand columns as this learner sees them (pair ids).

    Attempts started before the left-hand column was shuffled stored only the right-hand order.
    """
    pairs = [pair["id"] for pair in (revision.data or {}).get("pairs", [])]
    if len(display_order) == 2 * len(pairs):
        return list(display_order[: len(pairs)]), list(display_order[len(pairs) :])
    return list(display_order), pairs


def is_answered(revision: QuestionRevision, display_order: Sequence[str], answer: Any) -> bool:
    """Whether *answer* answers the whole question: every step placed, every item matched."""
    if answer is None:
        return False
    if revision.type == QuestionType.ordering.value:
        return len(answer) == len(display_order) and all(answer)
    if revision.type == QuestionType.matching.value:
        return len([value for value in answer.values() if value]) == len(revision.data.get("pairs", []))
    return True


def grade(revision: QuestionRevision, answer: Any) -> float:
    """Return the share of the question's points this *answer* earns (0 to 1); never raises.

    A stored value grading cannot read (an answer key saved before it was validated, an answer of
    the wrong shape) counts as wrong and is logged, so one bad value cannot break an attempt for good.
    """
    if answer is None:
        return 0.0
    try:
        return _grade(revision, answer)
    except (ArithmeticError, AttributeError, KeyError, TypeError, ValueError):
        log.exception("question revision %s cannot grade answer %r; counted as wrong", revision.id, answer)
        return 0.0


def _grade(revision: QuestionRevision, answer: Any) -> float:
    data = revision.data or {}
    kind = revision.type
    if kind in (QuestionType.single.value, QuestionType.true_false.value):
        correct = {o["id"] for o in data.get("options", []) if o.get("correct")}
        return 1.0 if answer in correct else 0.0
    if kind == QuestionType.multiple.value:
        correct = {o["id"] for o in data.get("options", []) if o.get("correct")}
        chosen = set(answer)
        if not correct:
            return 0.0
        # Partial credit: each right choice earns a share, each wrong choice takes one back.
        score = (len(chosen & correct) - len(chosen - correct)) / len(correct)
        return max(0.0, min(1.0, score))
    if kind == QuestionType.short_answer.value:
        given = normalise_text(str(answer))
        if given in {normalise_text(a) for a in data.get("accepted", [])}:
            return 1.0
        pattern = data.get("pattern") or ""
        if pattern and pattern_matches(str(pattern), given):
            return 1.0
        return 0.0
    if kind == QuestionType.numeric.value:
        given_number = stored_number(answer)
        expected = stored_number(data.get("answer"))
        tolerance = stored_number(data.get("tolerance") or 0)
        if given_number is None or expected is None or tolerance is None:
            log.warning(
                "question revision %s has a number that cannot be compared; counted as wrong", revision.id
            )
            return 0.0
        return 1.0 if abs(given_number - expected) <= tolerance else 0.0
    if kind == QuestionType.ordering.value:
        expected_order = [item["id"] for item in data.get("items", [])]
        if not expected_order:
            return 0.0
        right = sum(
            1 for i, item_id in enumerate(answer) if i < len(expected_order) and expected_order[i] == item_id
        )
        return right / len(expected_order)
    if kind == QuestionType.matching.value:
        pairs = data.get("pairs", [])
        if not pairs:
            return 0.0
        right = sum(1 for pair in pairs if answer.get(pair["id"]) == pair["id"])
        return right / len(pairs)
    return 0.0


def correct_answer_text(revision: QuestionRevision) -> list[str]:
    """The right answer in words, for the review page when the quiz allows showing it."""
    data = revision.data or {}
    kind = revision.type
    if kind in CHOICE_TYPES:
        return [option_label(revision, o["id"]) for o in data.get("options", []) if o.get("correct")]
    if kind == QuestionType.short_answer.value:
        return list(data.get("accepted", []))
    if kind == QuestionType.numeric.value:
        tolerance = data.get("tolerance") or 0
        return [f"{data.get('answer')}" + (f" ± {tolerance}" if tolerance else "")]
    if kind == QuestionType.ordering.value:
        return [item["text"] for item in data.get("items", [])]
    if kind == QuestionType.matching.value:
        return [f"{pair['left']} → {pair['right']}" for pair in data.get("pairs", [])]
    return []


def option_label(revision: QuestionRevision, option_id: str) -> str:
    if revision.type == QuestionType.true_false.value:
        return _("True") if option_id == "true" else _("False")
    for option in (revision.data or {}).get("options", []):
        if option["id"] == option_id:
            return str(option["text"])
    return option_id


def answer_text(revision: QuestionRevision, answer: Any) -> list[str]:
    """The learner's answer in words, for the review page."""
    if answer is None:
        return []
    kind = revision.type
    data = revision.data or {}
    if kind in (QuestionType.single.value, QuestionType.true_false.value):
        return [option_label(revision, answer)]
    if kind == QuestionType.multiple.value:
        return [option_label(revision, option_id) for option_id in answer]
    if kind in (QuestionType.short_answer.value, QuestionType.numeric.value):
        return [str(answer)]
    if kind == QuestionType.ordering.value:
        texts = {item["id"]: item["text"] for item in data.get("items", [])}
        return [texts.get(item_id, "?") if item_id else "—" for item_id in answer]
    if kind == QuestionType.matching.value:
        rights = {pair["id"]: pair["right"] for pair in data.get("pairs", [])}
        return [
            f"{pair['left']} → {rights.get(answer.get(pair['id'], ''), '—')}"
            for pair in data.get("pairs", [])
        ]
    return []


def feedback_for(revision: QuestionRevision, answer: Any, credit: float) -> list[str]:
    """Feedback the author wrote for this answer: per chosen option, then for right or wrong."""
    data = revision.data or {}
    notes: list[str] = []
    if revision.type in CHOICE_TYPES and answer is not None:
        chosen = set(answer) if isinstance(answer, list) else {answer}
        notes += [o["feedback"] for o in data.get("options", []) if o["id"] in chosen and o.get("feedback")]
    general = data.get("feedback_correct") if credit >= 1 else data.get("feedback_incorrect")
    if general:
        notes.append(general)
    return notes
