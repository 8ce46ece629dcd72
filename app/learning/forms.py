"""Forms for authoring courses and paths, enrolling people and writing rules."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, DateField, IntegerField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from app.forms import MultiCheckboxField, as_choices
from app.inputs import IdSelectField, id_number


class CourseForm(FlaskForm):
    title = StringField(
        _l("Title"), validators=[DataRequired(_l("Give the course a title.")), Length(max=200)]
    )
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=5000)])
    category = StringField(_l("Category"), validators=[Optional(), Length(max=100)])
    tags = StringField(_l("Topics"), validators=[Optional(), Length(max=500)])
    language = SelectField(_l("Language"))
    duration_minutes = IntegerField(
        _l("Duration in minutes"), validators=[Optional(), NumberRange(0, 100000)]
    )
    self_enroll = BooleanField(_l("People may enrol themselves"), default=True)
    listed = BooleanField(_l("Show in the catalog"), default=True)
    visibility = RadioField(
        _l("Who may see it"),
        choices=as_choices(
            [
                ("everyone", _l("Everyone in this portal")),
                ("restricted", _l("Only the groups, units and job titles below")),
            ]
        ),
        default="everyone",
    )
    groups = MultiCheckboxField(_l("Groups"), coerce=str)
    org_units = MultiCheckboxField(_l("Organisation units (including the units inside them)"), coerce=str)
    job_titles = StringField(_l("Job titles"), validators=[Optional(), Length(max=1000)])


class LessonForm(FlaskForm):
    title = StringField(
        _l("Title"), validators=[DataRequired(_l("Give the lesson a title.")), Length(max=200)]
    )
    required = BooleanField(_l("Required to complete the course"), default=True)
    body = TextAreaField(_l("Text (Markdown)"), validators=[Optional()])
    video_url = StringField(
        _l("Or a link to a video file (https://…)"), validators=[Optional(), Length(max=1000)]
    )
    video_file = FileField(_l("Video file (MP4 or WebM, up to 500 MB)"))
    captions_file = FileField(_l("Captions (WebVTT)"))
    captions_language = StringField(
        _l("Captions language"), default="en", validators=[Optional(), Length(max=10)]
    )
    transcript = TextAreaField(_l("Transcript"), validators=[Optional()])
    document_file = FileField(_l("File (PDF, Word, Excel, PowerPoint, ZIP, image or text, up to 50 MB)"))
    note = TextAreaField(_l("Note shown above the download"), validators=[Optional(), Length(max=2000)])


class EnrolForm(FlaskForm):
    people = MultiCheckboxField(_l("People"), coerce=id_number)
    group_id = IdSelectField(_l("Everyone in a group"))
    org_unit_id = IdSelectField(_l("Everyone in an organisation unit (and the units inside it)"))
    due_mode = SelectField(_l("Due"))
    due_days = IntegerField(_l("Days"), validators=[Optional(), NumberRange(1, 3650)])
    due_date = DateField(_l("Due date"), validators=[Optional()])


class RuleForm(FlaskForm):
    # Required only to save (the service says so): a preview works before the rule has a name.
    name = StringField(_l("Name"), validators=[Optional(), Length(max=200)])
    match = RadioField(
        _l("Enrol people who match"),
        choices=as_choices([("all", _l("all of the conditions")), ("any", _l("any of the conditions"))]),
        default="all",
    )
    target = SelectField(_l("Enrol them in"))
    due_mode = SelectField(_l("Due"))
    due_days = IntegerField(_l("Days"), validators=[Optional(), NumberRange(1, 3650)])
    due_date = DateField(_l("Due date"), validators=[Optional()])


class PathForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(_l("Give the path a title.")), Length(max=200)])
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=5000)])
    self_enroll = BooleanField(_l("People may enrol themselves"), default=True)
    courses = MultiCheckboxField(_l("Courses, in order"), coerce=id_number)
