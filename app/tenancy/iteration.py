"""Platform work done tenant by tenant: ``for_each_tenant(fn)`` runs, commits and isolates each one."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from sqlalchemy import select

from app.extensions import db
from app.tenancy.context import as_tenant
from app.tenancy.models import Tenant, TenantStatus

log = logging.getLogger(__name__)

T = TypeVar("T")


class UnknownTenant(LookupError):
    """No tenant (other than the platform) has the slug asked for."""

    def __init__(self, slug: str) -> None:
        super().__init__(f"no tenant {slug!r}")
        self.slug = slug


@dataclass(frozen=True)
class TenantOutcome(Generic[T]):
    """What running the work as one tenant gave: its result, or the error that rolled it back."""

    tenant_id: int
    slug: str
    result: T | None = None
    error: Exception | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


def tenants_to_visit(only: str | None = None) -> list[Tenant]:
    """Every active tenant but the platform, by slug; or the one tenant *only* names, whatever its status."""
    if only:
        tenant = db.session.scalars(select(Tenant).where(Tenant.slug == only)).one_or_none()
        if tenant is None or tenant.is_platform:
            raise UnknownTenant(only)
        return [tenant]
    return list(
        db.session.scalars(
            select(Tenant)
            .where(Tenant.status == TenantStatus.active.value, Tenant.is_platform.is_(False))
            .order_by(Tenant.slug)
        )
    )


def for_each_tenant(
    fn: Callable[[Tenant], T],
    *,
    only: str | None = None,
    what: str = "tenant work",
    report: Callable[[TenantOutcome[T]], None] | None = None,
) -> list[TenantOutcome[T]]:
    """Run ``fn(tenant)`` as each active tenant (or only the one slug *only* names), committing each.

    One tenant's failure is logged (``"<what> failed for tenant <id> (<slug>)"``) and rolled back,
    and the tenants after it still run: a nightly loop must never stop at the first broken tenant.
    *report* is called with each outcome as soon as it is known; the caller decides what a failure
    means at the end (the CLI exits non-zero). Raises :class:`UnknownTenant` for an unknown *only*.
    """
    outcomes: list[TenantOutcome[T]] = []
    for tenant in tenants_to_visit(only):
        tenant_id, slug = tenant.id, tenant.slug  # read before a rollback expires the object
        try:
            with as_tenant(tenant_id):
                result = fn(tenant)
                db.session.commit()
        except Exception as exc:  # one tenant's failure must not stop the tenants after it
            db.session.rollback()
            log.exception("%s failed for tenant %s (%s)", what, tenant_id, slug)
            outcome: TenantOutcome[T] = TenantOutcome(tenant_id, slug, error=exc)
        else:
            outcome = TenantOutcome(tenant_id, slug, result=result)
        outcomes.append(outcome)
        if report is not None:
            report(outcome)
    return outcomes
