"""Nightly work: run every tenant's enrolment rules (each tenant as its own job)."""

from __future__ import annotations

from sqlalchemy import select

from app.extensions import db
from app.jobs import enqueue
from app.tenancy import as_tenant
from app.tenancy.models import Tenant, TenantStatus


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
