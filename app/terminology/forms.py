"""Forms of the Terminology pages."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import FieldList, TextAreaField


class OverrideForm(FlaskForm):
    """One text per plural form of the language (one for a message without plural)."""

    forms = FieldList(TextAreaField(_l("Text")), min_entries=1, max_entries=6)


class ImportForm(FlaskForm):
    po_file = FileField(_l("PO file"))
