"""App-wide form helpers: a refusal lands next to the field it names, and form pages answer 200 or 422."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import FieldList, FormField, StringField

from app.errors import ValidationError
from app.forms import apply_error, form_status
from app.redirects import local_path, safe_next


class _LessonForm(FlaskForm):
    class Meta:
        csrf = False

    title = StringField()


class _PackageForm(FlaskForm):
    class Meta:
        csrf = False

    title = StringField()
    lessons = FieldList(FormField(_LessonForm), min_entries=2)


def test_refusal_is_shown_next_to_the_field_or_the_list_entry_it_names(app):
    with app.test_request_context("/", method="POST"):
        form = _PackageForm()
        apply_error(form, ValidationError("Give it a title.", field="title"))
        apply_error(form, ValidationError("Give the lesson a title.", field="lessons-1-title"))
        apply_error(form, ValidationError("Add a lesson.", field="lessons"))
        apply_error(form, ValidationError("No such lesson.", field="lessons-7-title"))
        apply_error(form, ValidationError("Not a field.", field="validate"))
        apply_error(form, ValidationError("Something else went wrong."))
        assert form.title.errors == ["Give it a title."]
        assert form.lessons.entries[1].form.title.errors == ["Give the lesson a title."]
        assert not form.lessons.entries[0].form.title.errors
        assert form.form_errors == [
            "Add a lesson.",
            "No such lesson.",
            "Not a field.",
            "Something else went wrong.",
        ]


def test_a_posted_form_shown_again_answers_422_unless_it_is_a_preview(app):
    with app.test_request_context("/", method="GET"):
        assert form_status() == 200
    with app.test_request_context("/", method="POST"):
        assert form_status() == 422
        assert form_status(ok=True) == 200


def test_next_is_followed_only_to_a_path_on_this_site(app):
    assert local_path("/learn/1?tab=2") == "/learn/1?tab=2"
    for bad in (None, "", "learn", "//evil.example", "/\\evil.example", "https://evil.example/"):
        assert local_path(bad) is None
    with app.test_request_context("/", base_url="http://acme.atrium.test"):
        assert safe_next("https://evil.example/") == safe_next(None)
