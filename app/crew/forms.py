"""Forms of crew sign-in and of the managers' badge pages."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length, Optional


class CrewSignInForm(FlaskForm):
    badge = StringField(_l("Scan your badge"), validators=[Optional(), Length(max=500)])
    employee_id = StringField(_l("Or type your employee ID"), validators=[Optional(), Length(max=64)])
    pin = PasswordField(
        _l("PIN"), validators=[Optional(), Length(max=8, message=_l("Use 4 to 8 digits for the PIN."))]
    )


class ChoosePinForm(FlaskForm):
    pin = PasswordField(_l("New PIN"), validators=[DataRequired(_l("Enter a new PIN of 4 to 8 digits."))])
    confirm = PasswordField(
        _l("Repeat the new PIN"),
        validators=[DataRequired(_l("Repeat the new PIN.")), EqualTo("pin", _l("The two PINs differ."))],
    )


class SetPinForm(FlaskForm):
    pin = PasswordField(_l("PIN"), validators=[DataRequired(_l("Enter a PIN of 4 to 8 digits."))])
    must_choose = BooleanField(_l("Ask them to choose their own PIN at their next sign-in"), default=True)


class CrewMemberForm(FlaskForm):
    full_name = StringField(
        _l("Full name"), validators=[DataRequired(_l("Enter the person's full name.")), Length(max=200)]
    )
    employee_id = StringField(
        _l("Employee ID"),
        validators=[DataRequired(_l("Enter the crew member's employee ID.")), Length(max=64)],
    )
    email = EmailField(_l("Email (leave empty if they have none)"), validators=[Optional(), Length(max=254)])
    pin = PasswordField(_l("First PIN"), validators=[DataRequired(_l("Enter a PIN of 4 to 8 digits."))])
