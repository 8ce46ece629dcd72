"""What the library does when something happens elsewhere: a new tenant receives automatic deployments."""

from __future__ import annotations

from sqlalchemy import select

from app.events import OutboxEvent, subscribe
from app.extensions import db
from app.library.models import LibraryPackage
from app.library.services import deploy, matches
from app.tenancy.models import Tenant


@subscribe("tenant.created")
def deploy_library_to_new_tenant(event: OutboxEvent) -> None:
    """Give a new tenant every automatically deployed package whose targeting matches it."""
    tenant = db.session.get(Tenant, event.payload["tenant_id"])
    if tenant is None or tenant.is_platform:
        return
    packages = db.session.scalars(
        select(LibraryPackage).where(LibraryPackage.auto_deploy.is_(True)).order_by(LibraryPackage.id)
    ).all()
    for package in packages:
        if package.latest_published is not None and matches(package, tenant):
            deploy(package, tenant, automatic=True)
