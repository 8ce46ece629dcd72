"""Forms for signing in, passwords, and the admin screens for people."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    EmailField,
    PasswordField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, EqualTo, Length, Optional

from app.forms import MultiCheckboxField, as_choices
from app.inputs import IdSelectField, id_number
from app.timezones import TimeZoneField


class SignInForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[DataRequired(_l("Enter your email address."))])
    # Optional here: a portal with single sign-on asks for the email first and the password only when
    # the email's domain signs in locally (the view says "Enter your password." when it is missing then).
    password = PasswordField(_l("Password"), validators=[Optional()])


class ForgotPasswordForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[DataRequired(_l("Enter your email address."))])


class ResetPasswordForm(FlaskForm):
    password = PasswordField(
        _l("New password"),
        validators=[
            DataRequired(_l("Choose a new password.")),
            Length(min=10, message=_l("Use at least 10 characters.")),
        ],
    )
    confirm = PasswordField(
        _l("Repeat the new password"),
        validators=[
            DataRequired(_l("Repeat the new password.")),
            EqualTo("password", _l("The two passwords differ.")),
        ],
    )


class UserForm(FlaskForm):
    # Optional for crew members who have an employee ID instead (the service says when both are missing).
    email = EmailField(_l("Email"), validators=[Optional()])
    full_name = StringField(
        _l("Full name"), validators=[DataRequired(_l("Enter the person's full name.")), Length(max=200)]
    )
    employee_id = StringField(_l("Employee ID"), validators=[Optional(), Length(max=64)])
    job_title = StringField(_l("Job title"), validators=[Optional(), Length(max=200)])
    org_unit_id = IdSelectField(_l("Organisation unit"))
    manager_id = IdSelectField(_l("Manager"))
    hire_date = DateField(_l("Hire date"), validators=[Optional()])
    locale = SelectField(_l("Language"), validators=[Optional()])
    time_zone = TimeZoneField(_l("Time zone"), validators=[Optional()], blank=_l("The portal's time zone"))
    roles = MultiCheckboxField(_l("Roles"), coerce=id_number)


class OrgUnitForm(FlaskForm):
    name = StringField(
        _l("Name"), validators=[DataRequired(_l("Enter a name for the unit.")), Length(max=200)]
    )
    kind = SelectField(
        _l("Kind"),
        choices=as_choices(
            [
                ("region", _l("Region")),
                ("location", _l("Location")),
                ("department", _l("Department")),
                ("company", _l("Partner company")),
                ("other", _l("Other")),
            ]
        ),
    )
    parent_id = IdSelectField(_l("Inside"))
    code = StringField(_l("Code"), validators=[Optional(), Length(max=64)])


class GroupForm(FlaskForm):
    name = StringField(
        _l("Name"), validators=[DataRequired(_l("Enter a name for the group.")), Length(max=200)]
    )
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=1000)])


class AddMembersForm(FlaskForm):
    user_ids = MultiCheckboxField(_l("People"), coerce=id_number)


class TenantForm(FlaskForm):
    slug = StringField(
        _l("Address (subdomain)"), validators=[DataRequired(_l("Choose the portal's address."))]
    )
    display_name = StringField(_l("Portal name"), validators=[DataRequired(_l("Enter the portal's name."))])
    audience = SelectField(
        _l("Audience"),
        choices=as_choices(
            [
                ("employees", _l("Employees")),
                ("partners", _l("Channel partners")),
                ("franchise", _l("Franchise")),
                ("customers", _l("Customers")),
                ("other", _l("Other")),
            ]
        ),
    )
    partner_tier = StringField(_l("Partner tier"), validators=[Optional(), Length(max=40)])
    default_locale = SelectField(_l("Default language"))
    time_zone = TimeZoneField(_l("Time zone"), default="UTC")
    admin_email = EmailField(_l("First admin's email"), validators=[Optional()])
    admin_name = StringField(_l("First admin's name"), validators=[Optional(), Length(max=200)])


class PreferencesForm(FlaskForm):
    locale = SelectField(_l("Language"))
    time_zone = TimeZoneField(_l("Time zone"), blank=_l("The portal's time zone"))
