"""Forms for authoring question banks, questions and quizzes; the services do the checking."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import Length, Optional

from app.forms import as_choices


class BankForm(FlaskForm):
    title = StringField(_l("Title"), validators=[Length(max=200)])
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=5000)])


class QuestionForm(FlaskForm):
    """The parts every question has, and the single-value parts of some types.

    Option and pair rows are read from the request directly (a fixed number of rows);
    ``options`` and ``pairs`` are never rendered: they carry those rows' errors.
    """

    prompt = TextAreaField(_l("Question"), validators=[Length(max=5000)])
    points = StringField(_l("Points"), default="1")
    options = StringField(_l("Answers"))
    pairs = StringField(_l("Pairs"))
    answer = StringField(_l("Correct answer"))
    tolerance = StringField(_l("Tolerance (±)"), default="0")
    accepted = TextAreaField(_l("Accepted answers, one per line"))
    pattern = StringField(_l("Pattern (regular expression, optional)"), validators=[Length(max=500)])
    items = TextAreaField(_l("Steps in the correct order, one per line"))
    feedback_correct = TextAreaField(_l("Feedback when right"), validators=[Length(max=2000)])
    feedback_incorrect = TextAreaField(_l("Feedback when wrong"), validators=[Length(max=2000)])


class QuizForm(FlaskForm):
    title = StringField(_l("Title"), validators=[Length(max=200)])
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=5000)])
    layout = RadioField(
        _l("How learners take it"),
        choices=as_choices(
            [
                ("one_page", _l("The whole quiz on one page")),
                ("steps", _l("One question per step")),
            ]
        ),
        default="one_page",
        validate_choice=False,  # clean_quiz_settings says what is wrong
    )
    shuffle_questions = BooleanField(_l("Shuffle the questions for each attempt"), default=False)
    shuffle_options = BooleanField(_l("Shuffle the answers of choice questions"), default=True)
    pass_percent = StringField(_l("Passing score (%)"), default="80")
    time_limit_minutes = StringField(_l("Time limit in minutes (optional)"))
    max_attempts = StringField(_l("Maximum attempts (optional)"))
    wait_minutes = StringField(_l("Wait between attempts in minutes (optional)"))
    show_answers = RadioField(
        _l("Show the correct answers after submitting"),
        choices=as_choices(
            [
                ("never", _l("Never")),
                ("after_pass", _l("Once the learner has passed")),
                ("after_last", _l("After the learner's last attempt (or once they pass)")),
            ]
        ),
        default="after_pass",
        validate_choice=False,
    )


class FixedQuestionForm(FlaskForm):
    # The view checks the choice and says what is wrong in its own words.
    question_id = SelectField(_l("Question"), validate_choice=False)


class PoolForm(FlaskForm):
    bank_id = SelectField(_l("Question bank"), validate_choice=False)
    draw_count = StringField(_l("How many to draw for each attempt"), default="1")
