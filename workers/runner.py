"""Run one job inside the application with its tenant restored."""

from __future__ import annotations

from typing import Any

from app.audit.context import SYSTEM, acting_as
from app.extensions import db
from app.jobs import resolve
from app.tenancy import context as tenancy_context


def run_job(tenant_id: int | None, path: str, args: list[Any], kwargs: dict[str, Any]) -> Any:
    """Call the job function as *tenant_id* and commit once, at the end, if it succeeded."""
    fn = resolve(path)
    token = tenancy_context.set_tenant(tenant_id) if tenant_id is not None else None
    try:
        with acting_as(SYSTEM):
            result = fn(*args, **kwargs)
        db.session.commit()
        return result
    except BaseException:
        db.session.rollback()
        raise
    finally:
        db.session.remove()
        if token is not None:
            tenancy_context.reset(token)
