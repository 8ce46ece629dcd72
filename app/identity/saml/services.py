"""Admin changes to SAML providers: add one, change its metadata and options, read its metadata
from an address; every change audited through the identity services."""

from __future__ import annotations

import logging
from typing import Any

from flask_babel import gettext as _

from app.errors import ValidationError
from app.identity import services as identity_services
from app.identity.models import IdentityProvider
from app.identity.saml import idp_metadata

log = logging.getLogger(__name__)

SYNC_JOB = "app.identity.saml.jobs:refresh_metadata"


def metadata_from(pasted: str, uploaded: bytes | None, url: str) -> tuple[dict[str, Any] | None, str | None]:
    """Settings parsed from pasted or uploaded metadata, or the URL to fetch; ValidationError if bad."""
    url = (url or "").strip()
    if uploaded:
        return idp_metadata.parse(uploaded, field="metadata_file"), url or None
    if (pasted or "").strip():
        return idp_metadata.parse(pasted, field="metadata_xml"), url or None
    if url:
        if not url.lower().startswith(("https://", "http://")):
            raise ValidationError(_("Give an address starting with https://."), field="metadata_url")
        return None, url
    return None, None


def add_provider(
    name: str, domains: list[str], parsed: dict[str, Any] | None, url: str | None
) -> IdentityProvider:
    """Add a SAML provider; its metadata is parsed now or fetched from *url* by a job; audited."""
    if parsed is None and url is None:
        raise ValidationError(
            _("Paste the identity provider's metadata, upload it or give its address."), field="metadata_xml"
        )
    settings: dict[str, Any] = {"idp_initiated": False, "want_assertions_signed": False}
    settings.update(parsed or {})
    if url:
        settings["metadata_url"] = url
    provider = identity_services.create_provider("saml", name, domains=domains, settings=settings)
    if url and parsed is None:
        schedule_refresh(provider)
    return provider


def update_settings(
    provider: IdentityProvider,
    *,
    parsed: dict[str, Any] | None,
    url: str | None,
    idp_initiated: bool,
    want_assertions_signed: bool,
) -> None:
    settings = dict(provider.settings or {})
    if parsed is not None:
        settings.update(parsed)
    previous_url = settings.get("metadata_url")
    if url is not None:
        settings["metadata_url"] = url
    settings["idp_initiated"] = bool(idp_initiated)
    settings["want_assertions_signed"] = bool(want_assertions_signed)
    identity_services.update_provider(provider, settings=settings)
    if url and parsed is None and url != previous_url:
        schedule_refresh(provider)


def schedule_refresh(provider: IdentityProvider) -> None:
    from app.jobs import enqueue

    enqueue(SYNC_JOB, provider.id, queue="sync", job_key=f"saml-metadata:{provider.id}")


def apply_fetched(provider: IdentityProvider, body: bytes) -> None:
    """Take metadata read from the provider's address; audited when it changed."""
    parsed = idp_metadata.parse(body, field="metadata_url")
    settings = dict(provider.settings or {})
    settings.update(parsed)
    settings.pop("metadata_error", None)
    identity_services.update_provider(provider, settings=settings)


def summary(provider: IdentityProvider) -> dict[str, Any]:
    """What an admin sees about the provider's metadata: entity id, addresses, certificate expiry."""
    from datetime import datetime

    from app.tenancy.models import utcnow

    settings = provider.settings or {}
    expires = settings.get("certs_expire_at")
    expires_at = datetime.fromisoformat(expires) if expires else None
    days_left = (expires_at - utcnow()).days if expires_at else None
    return {
        "entity_id": settings.get("idp_entity_id"),
        "sso_url": settings.get("sso_url"),
        "slo_url": settings.get("slo_url"),
        "metadata_url": settings.get("metadata_url"),
        "metadata_error": settings.get("metadata_error"),
        "certs_expire_at": expires_at,
        "days_left": days_left,
        "expiring": days_left is not None and days_left <= 30,
    }


def status_notes(provider: IdentityProvider) -> list[tuple[str, str]]:
    """The Sign-in page's notes: a certificate expiring within 30 days, metadata not read."""
    info = summary(provider)
    notes: list[tuple[str, str]] = []
    if info["entity_id"] is None:
        notes.append(("warning", _("Its metadata has not been read yet: nobody can sign in with it.")))
    if info["metadata_error"]:
        notes.append(("warning", _("Reading its metadata failed: %(reason)s", reason=info["metadata_error"])))
    if info["expiring"]:
        if info["days_left"] < 0:
            notes.append(("warning", _("Its signing certificate has expired: update its metadata.")))
        else:
            notes.append(
                (
                    "warning",
                    _(
                        "Its signing certificate expires in %(days)d days: update its metadata before then.",
                        days=info["days_left"],
                    ),
                )
            )
    return notes
