"""Jobs on the sync queue: read a SAML provider's metadata from its address, now and daily."""

from __future__ import annotations

import logging

from sqlalchemy import select

from app.errors import ValidationError
from app.extensions import db
from app.identity.models import IdentityProvider
from app.jobs import enqueue
from app.outbound import OutboundRefused, fetch

log = logging.getLogger(__name__)


def refresh_metadata(provider_id: int) -> bool:
    """Fetch provider *provider_id*'s metadata through the SSRF guard and keep it; True if read.

    A failure is kept on the provider (the Sign-in page shows it), not raised: the address is
    tried again the next day, or when the admin saves it again. The runner commits.
    """
    from app.identity.saml import services

    provider = db.session.get(IdentityProvider, provider_id)
    if provider is None or provider.deactivated_at is not None:
        return False
    url = (provider.settings or {}).get("metadata_url")
    if not url:
        return False
    try:
        fetched = fetch(url, headers={"Accept": "application/samlmetadata+xml, application/xml"})
        if fetched.status != 200:
            raise OutboundRefused(f"the address answered {fetched.status}")
        services.apply_fetched(provider, fetched.body)
    except (OutboundRefused, ValidationError) as error:
        reason = error.message
        log.warning("saml.metadata_refresh_failed", extra={"provider": provider.slug, "reason": reason})
        settings = dict(provider.settings or {})
        settings["metadata_error"] = str(reason)[:300]
        provider.settings = settings
        return False
    return True


def refresh_all_metadata() -> int:
    """Queue the daily metadata refresh of every SAML provider of the current tenant that has an address."""
    providers = db.session.scalars(
        select(IdentityProvider).where(
            IdentityProvider.kind == "saml", IdentityProvider.deactivated_at.is_(None)
        )
    ).all()
    queued = 0
    for provider in providers:
        if (provider.settings or {}).get("metadata_url"):
            enqueue(refresh_metadata, provider.id, queue="sync", job_key=f"saml-metadata:{provider.id}")
            queued += 1
    return queued
