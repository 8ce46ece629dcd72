"""Demo data: the "Acme SSO" SAML provider of the acme portal, trusting the demo identity provider
(``scripts/demo_saml_idp.py``), with its "new-hires" group mapped to Acme's "New hires 2026" group
and a rule that enrols new hires in the welcome course."""

from __future__ import annotations

from pathlib import Path

from flask import current_app
from sqlalchemy import select

from app.accounts.models import Group, User
from app.extensions import db
from app.identity import services as identity_services
from app.identity.models import IdentityProvider
from app.identity.saml import demo_idp, idp_metadata, keys


def acme_sso(new_hires: Group) -> IdentityProvider:
    """Add Acme SSO to the current (acme) portal, once; its SP key too."""
    existing = db.session.scalars(select(IdentityProvider).where(IdentityProvider.slug == "acme-sso")).first()
    if existing is not None:
        return existing
    directory = Path(current_app.instance_path) / "demo-saml-idp"
    parsed = idp_metadata.parse(demo_idp.metadata(directory, demo_idp.base_url()))
    provider = identity_services.create_provider(
        "saml",
        "Acme SSO",
        "acme-sso",
        domains=["acme.example"],
        sso_only=False,
        settings={"idp_initiated": False, "want_assertions_signed": True, **parsed},
        group_map=[{"value": "new-hires", "group_id": new_hires.id}],
    )
    keys.current_key("Atrium SAML acme")
    # The local admin keeps a password for the day the IdP is down: it is not sent to Acme SSO.
    admin = db.session.scalars(select(User.id).where(User.email == "admin@acme.example")).first()
    identity_services.save_settings(
        default_provider_id=None,
        break_glass_emails=["admin@acme.example"] if admin is not None else [],
        require_two_step_for_admins=False,
        badge_sign_in=False,
        shared_device_idle_minutes=3,
    )
    return provider
