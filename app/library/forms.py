"""Forms for the platform's library console and a tenant's deployed library courses."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    FieldList,
    Form,
    FormField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from app.forms import ConfirmForm, MultiCheckboxField, as_choices
from app.inputs import id_number


def lesson_kind_choices() -> list:
    return as_choices(
        [("page", _l("Page")), ("video", _l("Video link")), ("assessment", _l("Assessment (quiz)"))]
    )


def audience_choices() -> list:
    return as_choices(
        [
            ("employees", _l("Employees")),
            ("partners", _l("Channel partners")),
            ("franchise", _l("Franchise")),
            ("customers", _l("Customers")),
        ]
    )


class NewPackageForm(FlaskForm):
    slug = StringField(
        _l("Identifier"), validators=[DataRequired(_l("Choose an identifier.")), Length(max=100)]
    )
    title = StringField(
        _l("Title"), validators=[DataRequired(_l("Give the package a title.")), Length(max=200)]
    )


class LibraryLessonForm(Form):
    """One lesson of a draft; a sub-form repeated in PackageForm (no CSRF of its own)."""

    kind = SelectField(_l("Kind"), choices=lesson_kind_choices())
    title = StringField(_l("Lesson title"), validators=[Optional(), Length(max=200)])
    required = BooleanField(_l("Required to complete the course"), default=True)
    markdown = TextAreaField(_l("Page text (Markdown)"), validators=[Optional()])
    url = StringField(_l("Video link (https://)"), validators=[Optional(), Length(max=2000)])
    captions_language = StringField(
        _l("Captions language"), default="en", validators=[Optional(), Length(max=10)]
    )
    transcript = TextAreaField(_l("Transcript"), validators=[Optional()])
    quiz_id = SelectField(_l("Quiz"), choices=[], validate_choice=False)
    remove = BooleanField(_l("Remove this lesson when saving"))


class PackageForm(FlaskForm):
    title = StringField(
        _l("Title"), validators=[DataRequired(_l("Give the package a title.")), Length(max=200)]
    )
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=5000)])
    language = SelectField(_l("Language of the content"))
    duration_minutes = IntegerField(
        _l("Duration in minutes"),
        default=0,
        validators=[
            Optional(),
            NumberRange(min=0, max=100000, message=_l("Enter the duration in whole minutes.")),
        ],
    )
    category = StringField(_l("Category"), validators=[Optional(), Length(max=100)])
    tags = StringField(_l("Tags"), validators=[Optional(), Length(max=1000)])
    lessons = FieldList(FormField(LibraryLessonForm), min_entries=0)
    # The certification the package carries (none while the title is empty).
    certification_title = StringField(_l("Certification title"), validators=[Optional(), Length(max=200)])
    certification_validity_months = StringField(_l("Months valid (empty: it never expires)"))
    certification_renewal_window_days = StringField(_l("Renewal window (days before expiry)"), default="60")
    certification_grace_days = StringField(_l("Grace period after expiry (days)"), default="0")
    certification_reminder_days = StringField(_l("Reminders (days before expiry)"), default="60, 30, 7, 1, 0")
    certification_min_score = StringField(_l("Minimum quiz score (%, empty: each quiz's pass mark)"))
    certification_everyone = BooleanField(_l("Everyone in each tenant must hold it"))


class TargetingForm(FlaskForm):
    audiences = MultiCheckboxField(_l("Audiences that receive it"), choices=audience_choices())
    partner_tiers = StringField(_l("Partner tiers"), validators=[Optional(), Length(max=500)])
    auto_deploy = BooleanField(_l("Give it automatically to matching tenants created from now on"))


class DeployForm(FlaskForm):
    tenant_id = SelectField(_l("Tenant"), coerce=id_number)


class PublishForm(ConfirmForm):
    """Confirm publishing a draft version, with notes on what changed for tenant admins."""

    release_notes = TextAreaField(_l("Release notes"), validators=[Optional(), Length(max=5000)])
