"""The verify page's forms."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import StringField
from wtforms.validators import DataRequired, Length


class SerialForm(FlaskForm):
    serial = StringField(_l("Serial number"), validators=[DataRequired(), Length(max=40)])


class UploadForm(FlaskForm):
    document = FileField(_l("Certificate PDF"), validators=[FileRequired()])
