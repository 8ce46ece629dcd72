"""Form helpers for every feature: choices, checkbox lists, confirmations, refusals, a form page's status."""

from __future__ import annotations

from typing import Any

from flask import request
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import FieldList, FormField, HiddenField, SelectMultipleField
from wtforms.fields.choices import SelectChoice
from wtforms.widgets import CheckboxInput, ListWidget

from app.errors import ValidationError
from app.inputs import is_ascii_digits


def as_choices(pairs: object) -> list[SelectChoice]:
    """Turn (value, label) pairs into WTForms choices."""
    return [SelectChoice(value, label) for value, label in pairs]  # type: ignore[attr-defined]


class MultiCheckboxField(SelectMultipleField):
    """A multiple choice shown as a list of checkboxes."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class ConfirmForm(FlaskForm):
    """The second step of an action that cannot be undone: only the page that asked sends ``confirm=yes``."""

    confirm = HiddenField()

    def validate(self, extra_validators: object = None) -> bool:
        valid = super().validate(extra_validators)
        if self.confirm.data != "yes":
            self.form_errors.append(_l("Nothing was changed yet. Read what will happen, then confirm."))
            valid = False
        # The page shown again after a refusal asks once more; its button confirms.
        self.confirm.data = "yes"
        return valid


def _field_named(form: Any, name: str) -> Any:
    """The field *name* of *form*; ``lessons-2-title`` names a field of the third entry of a list."""
    fields = getattr(form, "_fields", {})
    if name in fields:
        return fields[name]
    head, _sep, rest = name.partition("-")
    index, _sep, inner = rest.partition("-")
    found = fields.get(head)
    if not isinstance(found, FieldList) or not inner or not is_ascii_digits(index) or len(index) >= 6:
        return None
    entries = found.entries
    if int(index) >= len(entries) or not isinstance(entries[int(index)], FormField):
        return None
    return _field_named(entries[int(index)].form, inner)


def apply_error(form: Any, exc: ValidationError) -> None:
    """Show a refusal next to the field it names, or above the form when it names none (or a whole list)."""
    field = _field_named(form, exc.field) if exc.field else None
    if field is not None and not isinstance(field, FieldList):
        field.errors = [*field.errors, exc.message]
    else:
        form.form_errors.append(exc.message)


def form_status(*, ok: bool = False) -> int:
    """The status of a page with a form: 422 when a posted form comes back to be corrected, else 200.

    *ok*: the posted form is shown again without a refusal (a preview, an action already done).
    """
    return 422 if request.method == "POST" and not ok else 200
