"""The reports' forms: a report's filters (GET, read by the service), exporting and saving a definition."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, TextAreaField

from app.forms import as_choices


class FilterForm(FlaskForm):
    """Every filter any report takes; a report's page keeps only its own. Values are text, checked by the
    service, so whatever was typed is shown back with its error."""

    class Meta:
        csrf = False  # a GET form that changes nothing

    date_from = StringField(_l("From"), render_kw={"type": "date"})
    date_to = StringField(_l("To"), render_kw={"type": "date"})
    unit = SelectField(_l("Location or unit (and below)"), validate_choice=False)
    job_title = StringField(_l("Job title"), render_kw={"maxlength": 200})
    group = SelectField(_l("Group"), validate_choice=False)
    course = SelectField(_l("Course"), validate_choice=False)
    path = SelectField(_l("Learning path"), validate_choice=False)
    certification = SelectField(_l("Certification"), validate_choice=False)
    policy = SelectField(_l("Policy"), validate_choice=False)
    quiz = SelectField(_l("Quiz"), validate_choice=False)
    status = SelectField(_l("Status"), validate_choice=False)


def filter_form(report: Any, args: Any, choices: dict[str, list[tuple[str, str]]]) -> FilterForm:
    """The filter form of *report*, filled from the query string *args*, with its select options."""
    form = FilterForm(formdata=args)
    for name in [f.name for f in form]:
        if name not in report.filter_names:
            delattr(form, name)
    for name, options in choices.items():
        anything = _l("Any") if name not in report.required_filters else _l("Choose…")
        getattr(form, name).choices = as_choices([("", anything), *options])
    return form


_FORMATS = [("csv", _l("CSV (spreadsheet text)")), ("xlsx", _l("XLSX (Excel)")), ("pdf", _l("PDF summary"))]


class ExportForm(FlaskForm):
    format = SelectField(
        _l("Format"),
        choices=as_choices(_FORMATS),
    )


class SaveForm(FlaskForm):
    name = StringField(_l("Name"), render_kw={"maxlength": 200, "required": True})
    schedule = SelectField(
        _l("Send by email"),
        choices=as_choices(
            [
                ("none", _l("Never: keep it here")),
                ("daily", _l("Every day")),
                ("weekly", _l("Every week")),
                ("monthly", _l("Every month")),
            ]
        ),
    )
    # Its own id: the export form beside it on the same page has a "format" too.
    format = SelectField(_l("Format"), choices=as_choices(_FORMATS), id="save-format")
    recipients = TextAreaField(_l("Send to (emails of people of this portal)"), render_kw={"rows": 2})
