"""The compliance dashboard's forms."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField, TextAreaField


class DueDateForm(FlaskForm):
    # Text read by the service, so that whatever was typed (a date or not) is shown back with the error.
    due_on = StringField(_l("New due date"), render_kw={"type": "date", "required": True})
    reason = TextAreaField(_l("Reason"), render_kw={"maxlength": 500, "rows": 3, "required": True})
