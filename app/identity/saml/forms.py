"""Forms of the SAML admin pages."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, StringField, TextAreaField
from wtforms.validators import Length, Optional


class MetadataFields:
    metadata_xml = TextAreaField(
        _l("Paste the identity provider's metadata (XML)"), validators=[Optional(), Length(max=2_000_000)]
    )
    metadata_file = FileField(_l("Or upload the metadata file"))
    metadata_url = StringField(
        _l("Or give the metadata address (read now and again every day)"),
        validators=[Optional(), Length(max=2000)],
    )


class AddSamlForm(MetadataFields, FlaskForm):
    name = StringField(_l("Name people see on the sign-in button"), validators=[Length(max=120)])
    domains = TextAreaField(_l("Email domains it serves"), validators=[Optional(), Length(max=5000)])


class SamlSettingsForm(MetadataFields, FlaskForm):
    idp_initiated = BooleanField(_l("Let people start at the identity provider (IdP-initiated sign-in)"))
    want_assertions_signed = BooleanField(
        _l("Require the assertion itself to be signed, not only the response")
    )


class ConfirmForm(FlaskForm):
    """A button's form: only the CSRF token."""
