"""Placeholders of a message checked as the shipped catalogs are, and a preview with sample values."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from babel.messages.catalog import PYTHON_FORMAT
from flask_babel import gettext as _

from app.errors import ValidationError
from app.terminology.catalogs import ShippedMessage, plural_examples


@dataclass(frozen=True)
class Placeholders:
    named: frozenset[str]
    positional: int
    # A "%" that starts no placeholder: the text cannot be filled in.
    broken: bool = False


def placeholders_of(text: str) -> Placeholders:
    """The placeholders of a Python %-format *text*: its names and how many unnamed ones."""
    named: set[str] = set()
    positional = 0
    for match in PYTHON_FORMAT.finditer(text):
        name, conversion = match.group(1), match.group(3)
        if conversion == "%":
            continue
        if name:
            named.add(name)
        else:
            positional += 1
    stripped = PYTHON_FORMAT.sub("", text)
    return Placeholders(frozenset(named), positional, broken="%" in stripped)


def check_placeholders(message: ShippedMessage, texts: list[str]) -> None:
    """Refuse *texts* whose placeholders differ from the original's; the message names the placeholder."""
    if not message.python_format:
        return
    singular = placeholders_of(message.msgid)
    plural = placeholders_of(message.msgid_plural) if message.msgid_plural is not None else None
    allowed = singular.named | (plural.named if plural else frozenset())
    for index, text in enumerate(texts):
        found = placeholders_of(text)
        if found.broken:
            raise ValidationError(
                _(
                    "This text has a percent sign that starts no placeholder. Write it as %(escaped)s.",
                    escaped="%%",
                ),
                field=f"form_{index}",
            )
        # A plural form for one (or none) may spell the number out; every other name must stay.
        required = singular.named if plural is None else plural.named - {"num"}
        for name in sorted(required - found.named):
            raise ValidationError(
                _(
                    "The placeholder %(placeholder)s is missing: keep it, the page fills it in.",
                    placeholder=f"%({name})s",
                ),
                field=f"form_{index}",
            )
        for name in sorted(found.named - allowed):
            raise ValidationError(
                _(
                    "The placeholder %(placeholder)s is not in the original message: remove it.",
                    placeholder=f"%({name})s",
                ),
                field=f"form_{index}",
            )
        if found.positional != singular.positional:
            raise ValidationError(
                _(
                    "The original has %(expected)d placeholders %(placeholder)s and this text has %(found)d: "
                    "keep the same number.",
                    expected=singular.positional,
                    found=found.positional,
                    placeholder="%s",
                ),
                field=f"form_{index}",
            )


def _sample(name: str, conversion: str, number: int) -> Any:
    if name == "num" or conversion in "dif":
        return number
    samples = {
        "name": "Lee Learner",
        "person": "Lee Learner",
        "title": "Food Safety Basics",
        "email": "lee@example.com",
    }
    return samples.get(name, f"[{name}]")


def preview(message: ShippedMessage, locale: str, texts: list[str]) -> list[tuple[int, str]]:
    """Each text filled in with sample values: (the number it is shown for, the text as a page shows it)."""
    examples = plural_examples(locale)
    shown = []
    for index, text in enumerate(texts):
        number = (
            examples[index][0]
            if message.msgid_plural is not None and index < len(examples) and examples[index]
            else 3
        )
        if not message.python_format:
            shown.append((number, text))
            continue
        values: dict[str, Any] = {}
        positional: list[Any] = []
        for match in PYTHON_FORMAT.finditer(text):
            name, conversion = match.group(1), match.group(3)
            if conversion == "%":
                continue
            if name:
                values[name] = _sample(name, conversion, number)
            else:
                positional.append(_sample("", conversion, number))
        try:
            shown.append(
                (number, text % (values or tuple(positional)) if (values or positional) else text % ())
            )
        except (TypeError, ValueError, KeyError):
            shown.append((number, text))
    return shown
