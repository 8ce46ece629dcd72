"""The audit log: ``audit.record(action, target=..., before=..., after=...)``."""

from app.audit.services import record
from app.audit.verification import verify_chain

__all__ = ["record", "verify_chain"]
