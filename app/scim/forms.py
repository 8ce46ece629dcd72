"""The form that creates a SCIM token."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import DataRequired, Length


class ScimTokenForm(FlaskForm):
    name = StringField(
        _l("Name"),
        validators=[
            DataRequired(_l("Name the token after the system that will use it.")),
            Length(max=100, message=_l("Keep the name under 100 characters.")),
        ],
    )
