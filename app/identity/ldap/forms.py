"""Forms of the LDAP directory pages."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, SelectField, StringField, TextAreaField
from wtforms.validators import Length, Optional

from app.forms import as_choices
from app.identity.ldap.directory import DEFAULT_GROUP_FILTER, DEFAULT_SUBJECT_ATTRIBUTE, DEFAULT_USER_FILTER


class DirectoryForm(FlaskForm):
    url = StringField(_l("Server address"), validators=[Optional(), Length(max=500)])
    starttls = BooleanField(_l("Use StartTLS (for an ldap:// address)"), default=True)
    ca_cert = TextAreaField(
        _l("CA certificate to trust (PEM, optional)"), validators=[Optional(), Length(max=20000)]
    )
    bind_dn = StringField(_l("Service account DN"), validators=[Optional(), Length(max=500)])
    bind_password = PasswordField(_l("Service account password"), validators=[Optional(), Length(max=500)])
    user_base = StringField(_l("User search base"), validators=[Optional(), Length(max=500)])
    user_filter = StringField(
        _l("User filter"), default=DEFAULT_USER_FILTER, validators=[Optional(), Length(max=1000)]
    )
    subject_attribute = StringField(
        _l("Stable id attribute"), default=DEFAULT_SUBJECT_ATTRIBUTE, validators=[Optional(), Length(max=64)]
    )
    group_mode = SelectField(
        _l("Group membership"),
        choices=as_choices(
            [
                ("memberof", _l("From the person's memberOf attribute")),
                ("search", _l("By searching for groups that list the person")),
            ]
        ),
        default="memberof",
    )
    group_base = StringField(_l("Group search base"), validators=[Optional(), Length(max=500)])
    group_filter = StringField(
        _l("Group filter"), default=DEFAULT_GROUP_FILTER, validators=[Optional(), Length(max=1000)]
    )


class AddDirectoryForm(DirectoryForm):
    name = StringField(_l("Name"), validators=[Optional(), Length(max=120)])
    slug = StringField(_l("Short name in addresses"), validators=[Optional(), Length(max=64)])
    domains = TextAreaField(_l("Email domains it serves"), validators=[Optional(), Length(max=5000)])


class TestSignInForm(FlaskForm):
    email = StringField(_l("Email"), validators=[Optional(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[Optional(), Length(max=500)])
