"""The demo's "Partner SSO": the partners portal signs in through the demo OpenID Connect provider
(scripts/demo_oidc_provider.py) that `make run` starts on port 8090."""

from __future__ import annotations

from sqlalchemy import select

from app.accounts.models import Group
from app.extensions import db
from app.identity import services as identity
from app.identity.models import IdentityProvider, ProviderKind

DEMO_ISSUER = "http://127.0.0.1:8090"
DEMO_CLIENT_ID = "atrium-partners"
DEMO_CLIENT_SECRET = "partner-sso-demo-secret"  # noqa: S105 - the documented demo secret, as in the script


def partner_sso() -> IdentityProvider:
    """Add "Partner SSO" to the current portal (once), its groups mapped onto the partner tiers."""
    existing = db.session.scalars(
        select(IdentityProvider).where(IdentityProvider.slug == "partner-sso")
    ).first()
    if existing is not None:
        return existing
    # Endpoints typed in rather than discovered: the provider need not be running when the demo loads.
    provider = identity.create_provider(
        ProviderKind.oidc.value,
        "Partner SSO",
        "partner-sso",
        domains=["partners.example"],
        settings={
            "preset": "custom",
            "issuer": DEMO_ISSUER,
            "authorization_endpoint": f"{DEMO_ISSUER}/authorize",
            "token_endpoint": f"{DEMO_ISSUER}/token",
            "jwks_uri": f"{DEMO_ISSUER}/jwks",
            "userinfo_endpoint": f"{DEMO_ISSUER}/userinfo",
            "token_auth_method": "client_secret_basic",
            "algorithms": ["RS256"],
            "client_id": DEMO_CLIENT_ID,
            "scopes": "openid email profile",
        },
    )
    identity.set_secret(provider, DEMO_CLIENT_SECRET)
    groups = {g.name: g.id for g in db.session.scalars(select(Group))}
    identity.update_provider(
        provider,
        group_map=[
            {"value": name, "target": f"group:{groups[name]}"}
            for name in ("Gold partners", "Silver partners")
            if name in groups
        ],
    )
    return provider
