"""Forms of the partner program's administration: a tier, a tier's targets, a company's tier."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField

from app.inputs import IdSelectField


class TierForm(FlaskForm):
    """A tier's name and rank; the tier page adds one target field per certification by hand."""

    # Checked by the service (one place for every rule), so that every problem shows at once.
    name = StringField(_l("Name"))
    rank = StringField(_l("Rank"), default="1")


class CompanyForm(FlaskForm):
    org_unit_id = IdSelectField(_l("Company (organisation unit)"))
    tier_id = IdSelectField(_l("Tier"))
