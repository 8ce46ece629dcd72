"""Forms of the Sign-in admin page."""

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
from wtforms.validators import InputRequired, Length, NumberRange, Optional


class SignInSettingsForm(FlaskForm):
    default_provider_id = SelectField(
        _l("Send everyone who opens the sign-in page to"), coerce=str, validate_choice=False
    )
    break_glass = TextAreaField(
        _l("Break-glass accounts (emails, one per line)"), validators=[Optional(), Length(max=5000)]
    )
    require_two_step_for_admins = BooleanField(
        _l("Require two-step sign-in for people who can administer this portal")
    )
    badge_sign_in = BooleanField(
        _l("Let crews sign in on shared devices with an employee ID or badge and a PIN")
    )
    shared_device_idle_minutes = IntegerField(
        _l("Sign people out of a shared device after this many idle minutes"),
        validators=[
            InputRequired(_l("Enter a number of minutes.")),
            NumberRange(1, 60, _l("Enter between 1 and 60 minutes.")),
        ],
    )


class GroupRowForm(Form):
    value = StringField(_l("Group at the provider"), validators=[Optional(), Length(max=200)])
    target = SelectField(_l("Atrium group or role"), coerce=str, validate_choice=False)


class ProviderForm(FlaskForm):
    name = StringField(_l("Name on the button"), validators=[Optional(), Length(max=120)])
    slug = StringField(_l("Short name in addresses"), validators=[Optional(), Length(max=64)])
    enabled = BooleanField(_l("People can sign in with it"), default=True)
    domains = TextAreaField(_l("Email domains it serves"), validators=[Optional(), Length(max=5000)])
    sso_only = BooleanField(
        _l("It is the only way in for these domains (no passwords, except break-glass accounts)")
    )
    create_people = BooleanField(_l("Create an account for someone new on their first sign-in"), default=True)
    map_email = StringField(_l("Email"), validators=[Optional(), Length(max=200)])
    map_given_name = StringField(_l("Given name"), validators=[Optional(), Length(max=200)])
    map_family_name = StringField(_l("Family name"), validators=[Optional(), Length(max=200)])
    map_full_name = StringField(_l("Full name"), validators=[Optional(), Length(max=200)])
    map_employee_id = StringField(_l("Employee ID"), validators=[Optional(), Length(max=200)])
    map_job_title = StringField(_l("Job title"), validators=[Optional(), Length(max=200)])
    map_org_unit = StringField(
        _l("Organisation unit (name or code)"), validators=[Optional(), Length(max=200)]
    )
    map_manager = StringField(_l("Manager (email or employee ID)"), validators=[Optional(), Length(max=200)])
    map_locale = StringField(_l("Language"), validators=[Optional(), Length(max=200)])
    map_groups = StringField(_l("Groups"), validators=[Optional(), Length(max=200)])
    group_rows = FieldList(FormField(GroupRowForm), min_entries=3, max_entries=100)
