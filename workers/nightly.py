"""Periodic work: enrolment rules nightly; quiz attempts whose time ran out, every 15 minutes."""

from __future__ import annotations

import logging

from sqlalchemy import select

from app.extensions import db
from app.jobs import enqueue
from app.tenancy import as_tenant
from app.tenancy.models import Tenant, TenantStatus

log = logging.getLogger(__name__)


def run_rules_everywhere() -> int:
    """Enqueue the rule run of every active tenant; return how many tenants were queued."""
    tenants = list(
        db.session.scalars(
            select(Tenant.id).where(Tenant.status == TenantStatus.active.value, Tenant.is_platform.is_(False))
        )
    )
    for tenant_id in tenants:
        with as_tenant(tenant_id):
            enqueue("app.learning.services.rules:run_all_rules", queue="default")
    return len(tenants)


def close_expired_attempts_everywhere() -> int:
    """Enqueue, for every active tenant, the closing of quiz attempts whose time limit has passed.

    One tenant's failure is logged with its id and the others still run; returns how many did.
    """
    tenants = list(
        db.session.scalars(
            select(Tenant.id).where(Tenant.status == TenantStatus.active.value, Tenant.is_platform.is_(False))
        )
    )
    failed: list[int] = []
    for tenant_id in tenants:
        try:
            with as_tenant(tenant_id):
                enqueue("app.assessments.services:close_expired_attempts", queue="default")
        except Exception:  # one tenant's failure must not keep the others' attempts open
            log.exception("closing expired attempts failed for tenant %s", tenant_id)
            failed.append(tenant_id)
    if failed:
        # Not raised: the run commits once at the end, and what the other tenants did must be kept.
        log.error("closing expired attempts failed for tenants %s; the others were done", failed)
    return len(tenants) - len(failed)
