"""Forms of the OpenID Connect pages: the connection, and adding a provider."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import PasswordField, SelectField, StringField, TextAreaField
from wtforms.validators import Length, Optional


class ConnectionForm(FlaskForm):
    preset = SelectField(_l("Provider"), coerce=str, validate_choice=False)
    entra_tenant = StringField(_l("Directory (tenant) ID"), validators=[Optional(), Length(max=255)])
    google_domain = StringField(_l("Google Workspace domain"), validators=[Optional(), Length(max=253)])
    okta_domain = StringField(_l("Okta domain"), validators=[Optional(), Length(max=255)])
    discovery_url = StringField(_l("Discovery URL"), validators=[Optional(), Length(max=2000)])
    issuer = StringField(_l("Issuer"), validators=[Optional(), Length(max=2000)])
    authorization_endpoint = StringField(
        _l("Authorization endpoint"), validators=[Optional(), Length(max=2000)]
    )
    token_endpoint = StringField(_l("Token endpoint"), validators=[Optional(), Length(max=2000)])
    jwks_uri = StringField(_l("Keys (JWKS) address"), validators=[Optional(), Length(max=2000)])
    userinfo_endpoint = StringField(_l("Userinfo endpoint"), validators=[Optional(), Length(max=2000)])
    client_id = StringField(_l("Client ID"), validators=[Optional(), Length(max=255)])
    client_secret = PasswordField(_l("Client secret"), validators=[Optional(), Length(max=2000)])
    scopes = StringField(_l("Scopes"), validators=[Optional(), Length(max=500)])


class AddProviderForm(ConnectionForm):
    name = StringField(_l("Name on the button"), validators=[Optional(), Length(max=120)])
    slug = StringField(_l("Short name in addresses"), validators=[Optional(), Length(max=64)])
    domains = TextAreaField(_l("Email domains it serves"), validators=[Optional(), Length(max=5000)])
