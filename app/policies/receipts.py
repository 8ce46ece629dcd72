"""A signed acknowledgement's receipt: a PDF rendered once on the certificates queue, asked again if stuck."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from app.extensions import db
from app.policies.models import Acknowledgement, PolicyReceipt


def receipt_of(ack: Acknowledgement) -> PolicyReceipt | None:
    return db.session.scalars(select(PolicyReceipt).where(PolicyReceipt.acknowledgement_id == ack.id)).first()


def request_receipt(ack: Acknowledgement, portal_url: str | None = None) -> PolicyReceipt | None:
    """Return the receipt of *ack* if it is ready; otherwise start rendering it (at once without Redis).

    *portal_url* is the address the receipt names as where it can be checked (the portal it was asked from).
    """
    receipt = receipt_of(ack)
    if receipt is not None:
        return receipt
    from app import jobs

    jobs.enqueue(
        "app.policies.jobs:render_receipt",
        ack.id,
        portal_url,
        queue="certificates",
        job_key=receipt_job_key(ack),
    )
    return receipt_of(ack)


def receipt_job_key(ack: Acknowledgement) -> str:
    return f"policy-receipt:{ack.id}"


def receipt_job(ack: Acknowledgement) -> Any:
    """The last job asked to render *ack*'s receipt (a JobOutbox row), or None (none, or no Redis)."""
    from app import jobs

    return jobs.latest_job(receipt_job_key(ack))


def retry_receipt(ack: Acknowledgement) -> PolicyReceipt | None:
    """Ask again for *ack*'s receipt after its job failed or seems stuck; return it if it is ready."""
    receipt = receipt_of(ack)
    if receipt is not None:
        return receipt
    from app import jobs

    jobs.try_again(
        receipt_job_key(ack), "app.policies.jobs:render_receipt", ack.id, None, queue="certificates"
    )
    return receipt_of(ack)
