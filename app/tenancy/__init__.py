"""Tenants and the tenancy invariant: ``tenancy.unscoped(reason)`` and ``tenancy.as_tenant(t)``."""

from app.tenancy.context import as_tenant, current_tenant_id, platform_writes, unscoped

__all__ = ["as_tenant", "current_tenant_id", "platform_writes", "unscoped"]
