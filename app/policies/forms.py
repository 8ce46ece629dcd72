"""Forms for writing policies and their versions, and for accepting one."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, HiddenField, IntegerField, RadioField, StringField, TextAreaField
from wtforms.validators import Length, NumberRange, Optional

from app.forms import MultiCheckboxField, as_choices


class PolicyForm(FlaskForm):
    title = StringField(_l("Title"), validators=[Optional(), Length(max=200)])
    visibility = RadioField(
        _l("Who must accept it"),
        choices=as_choices(
            [
                ("everyone", _l("Everyone in this portal")),
                ("restricted", _l("Only the groups and organisation units below")),
            ]
        ),
        default="everyone",
    )
    groups = MultiCheckboxField(_l("Groups"), coerce=str)
    org_units = MultiCheckboxField(_l("Organisation units (including the units inside them)"), coerce=str)
    due_days = IntegerField(
        _l("Due this many days after each version that asks again is published"),
        validators=[Optional(), NumberRange(1, 3650, _l("Enter between 1 and 3650 days."))],
    )


class DraftForm(FlaskForm):
    content = RadioField(
        _l("The policy's document"),
        choices=as_choices([("text", _l("Text (Markdown)")), ("pdf", _l("An uploaded PDF"))]),
        default="text",
    )
    body = TextAreaField(_l("Text (Markdown)"), validators=[Optional()])
    document = FileField(_l("PDF file (up to 50 MB)"))
    material = BooleanField(_l("Material change: ask everyone to accept again"), default=True)


class AcceptForm(FlaskForm):
    accept = BooleanField(_l("I have read and accept this policy"))
    signature = StringField(_l("Your full name, as your signature"), validators=[Optional(), Length(max=200)])
    # The SHA-256 of the text the page showed: a translation edited meanwhile refuses the signature.
    content_sha256 = HiddenField(validators=[Optional(), Length(max=64)])
