"""Background jobs about people."""

from __future__ import annotations

from sqlalchemy import func, select

from app import audit
from app.accounts.models import User, UserStatus
from app.extensions import db


def record_usage_snapshot() -> int:
    """Count the current tenant's active people and record the figure in its audit log (for billing)."""
    active = db.session.scalar(
        select(func.count()).select_from(User).where(User.status == UserStatus.active.value)
    )
    audit.record("usage.snapshot", after={"active_people": active or 0})
    return active or 0
