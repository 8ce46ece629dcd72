"""What certificates do when a certification changes (the events of app/certifications, by contract)."""

from __future__ import annotations

from app.certificates import services
from app.events import OutboxEvent, subscribe


@subscribe("certification.awarded")
@subscribe("certification.renewed")
def issue_for_award(event: OutboxEvent) -> None:
    """Record the award's certificate and ask the certificates queue for its signed PDF."""
    services.record_award(event.payload)


@subscribe("certification.revoked")
def revoke_certificates(event: OutboxEvent) -> None:
    services.revoke_record(event.payload)


@subscribe("certification.reinstated")
def reinstate_certificates(event: OutboxEvent) -> None:
    services.reinstate_record(event.payload)


@subscribe("certification.expiring")
def note_expiring(event: OutboxEvent) -> None:
    """Remember the renewal window began; "expired" needs nothing: it follows from the expiry date."""
    services.note_expiring(event.payload)
