"""Forms of the HR sync pages: a source (with its field mapping) and a preview's upload."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, PasswordField, SelectField, StringField, TextAreaField
from wtforms.validators import Length, Optional

from app.forms import as_choices
from app.syncs.services.fields import FIELDS

SCHEDULE_CHOICES = [
    ("off", _l("Only when someone previews it")),
    ("hourly", _l("Every hour")),
    ("daily", _l("Every day")),
    ("weekly", _l("Every Monday")),
]


class SourceForm(FlaskForm):
    name = StringField(_l("Name"), validators=[Length(max=200)])
    kind = SelectField(_l("Kind of source"), validate_choice=False)
    secret = PasswordField(
        _l("Secret (API key, password or token)"), validators=[Optional(), Length(max=2000)]
    )
    schedule = SelectField(_l("Read it"), choices=as_choices(SCHEDULE_CHOICES), validate_choice=False)
    schedule_hour = StringField(_l("At this hour (UTC, 0–23), for daily and weekly runs"), default="2")
    max_deactivate_percent = StringField(
        _l(
            "Stop for approval when a scheduled run would deactivate more than this percentage "
            "of active people"
        ),
        default="5",
    )
    max_change_percent = StringField(
        _l("Stop for approval when a scheduled run would change more than this percentage of the rows"),
        default="20",
    )
    terminated_values = StringField(
        _l("Status values that mean the person has left (comma-separated)"), validators=[Length(max=500)]
    )
    full_feed = BooleanField(
        _l("The source lists everyone: deactivate people it brought in who are no longer listed")
    )
    enabled = BooleanField(_l("Scheduled runs are on"), default=True)
    map_attributes = TextAreaField(
        _l("Custom attributes (one per line: attribute = source column)"),
        validators=[Length(max=5000)],
    )


def _add_fields(form_class: type[Any], config_fields: list[Any]) -> type[Any]:
    attrs: dict[str, Any] = {}
    for name, label in FIELDS.items():
        attrs[f"map_{name}"] = StringField(label, validators=[Length(max=200)])
    for spec in config_fields:
        # No blank option: the first choice is each setting's default (detect, custom report, none).
        choices = list(getattr(spec, "choices", None) or ())
        if choices:
            attrs[f"config_{spec.name}"] = SelectField(
                spec.label, choices=as_choices(choices), validate_choice=False
            )
        else:
            attrs[f"config_{spec.name}"] = StringField(spec.label, validators=[Length(max=2000)])
    return type("BoundSourceForm", (form_class,), attrs)


def source_form_class(config_fields: list[Any]) -> type[Any]:
    """The source form with a mapping field per person field and a field per reader setting."""
    return _add_fields(SourceForm, config_fields)


class PreviewForm(FlaskForm):
    upload = FileField(_l("CSV file (for a source you upload)"))
