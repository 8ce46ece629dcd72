"""Forms for two-step sign-in: a code to sign in, to confirm an app, to turn it off."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import DataRequired, Length


class CodeForm(FlaskForm):
    """The code from the authenticator app, or (where allowed) a recovery code."""

    code = StringField(
        _l("Code"),
        validators=[
            DataRequired(_l("Enter the code your app shows now.")),
            Length(max=40, message=_l("That is too long to be a code.")),
        ],
    )
