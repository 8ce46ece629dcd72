"""The audit log: ``audit.record(action, target=..., before=..., after=...)``."""

from app.audit.services import record, verify_chain

__all__ = ["record", "verify_chain"]
