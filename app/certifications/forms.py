"""Forms for writing certifications, awarding and revoking them, and importing past awards."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import DateField, IntegerField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import Length, NumberRange, Optional

from app.forms import MultiCheckboxField, as_choices


class CertificationForm(FlaskForm):
    title = StringField(_l("Title"), validators=[Optional(), Length(max=200)])
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=5000)])
    validity = RadioField(
        _l("How long it is valid"),
        choices=as_choices(
            [
                ("months", _l("A number of months from the award")),
                ("fixed_date", _l("Until a fixed date")),
                ("forever", _l("It never expires")),
            ]
        ),
        default="months",
    )
    validity_months = IntegerField(
        _l("Months valid"),
        validators=[Optional(), NumberRange(1, 600, _l("Enter between 1 and 600 months."))],
    )
    valid_until = DateField(_l("Valid until"), validators=[Optional()])
    renewal_window_days = IntegerField(
        _l("Renewal window (days before expiry)"),
        default=60,
        validators=[Optional(), NumberRange(0, 3650, _l("Enter between 0 and 3650 days."))],
    )
    grace_days = IntegerField(
        _l("Grace period after expiry (days)"),
        default=0,
        validators=[Optional(), NumberRange(0, 3650, _l("Enter between 0 and 3650 days."))],
    )
    reminder_days = StringField(
        _l("Reminders (days before expiry)"),
        default="60, 30, 7, 1, 0",
        validators=[Optional(), Length(max=200)],
    )
    visibility = RadioField(
        _l("Who must hold it"),
        choices=as_choices(
            [
                ("nobody", _l("Nobody automatically: people are awarded it or earn it")),
                ("everyone", _l("Everyone in this portal")),
                ("restricted", _l("Only the groups, organisation units and job titles below")),
            ]
        ),
        default="nobody",
    )
    groups = MultiCheckboxField(_l("Groups"), coerce=str)
    org_units = MultiCheckboxField(_l("Organisation units (including the units inside them)"), coerce=str)
    job_titles = StringField(
        _l("Job titles (separated by commas)"), validators=[Optional(), Length(max=1000)]
    )


class AwardForm(FlaskForm):
    person = SelectField(_l("Person"), coerce=str, validate_choice=False)
    awarded_on = DateField(_l("Awarded on"), validators=[Optional()])
    expires_on = DateField(
        _l("Expires on (leave empty to follow the certification's validity)"), validators=[Optional()]
    )
    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=2000)])
    evidence = FileField(_l("Evidence (a PDF, an image or a document, up to 50 MB)"))


class RevokeForm(FlaskForm):
    reason = TextAreaField(
        _l("Why it is revoked (shown on the verify page)"), validators=[Optional(), Length(max=1000)]
    )


class ImportForm(FlaskForm):
    file = FileField(_l("CSV file"))
