"""Library fixtures: packages with unique slugs, and a clean-up that keeps them from reaching other tests.

Packages are global and tenant_factory commits, so a package with automatic
deployment would otherwise be deployed to every tenant later tests create.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlalchemy import select

from app.library import services
from app.library.demo import SLUG as DEMO_SLUG
from app.library.models import LibraryPackage
from app.tenancy import platform_writes
from app.tenancy.models import Tenant
from tests.conftest import unique_slug

SLUG_PREFIX = "lib-test-"

PAGE = {"kind": "page", "title": "Spot the fake", "required": True, "markdown": "Check the **sender**."}
VIDEO = {
    "kind": "video",
    "title": "Watch how it happens",
    "required": False,
    "url": "https://videos.example.com/phishing.mp4",
    "captions_language": "en",
    "transcript": "A narrator explains.",
}


def draft_fields(version: Any, **changes: Any) -> dict[str, Any]:
    """The keyword arguments of update_draft for *version* as it is, with *changes*."""
    fields = {
        "title": version.title,
        "description": version.description,
        "language": version.language,
        "duration_minutes": version.duration_minutes,
        "category": version.category,
        "tags": list(version.tags),
        "lessons": [dict(lesson) for lesson in version.lessons],
    }
    fields.update(changes)
    return fields


@pytest.fixture
def platform(db: Any) -> Tenant:
    return db.session.scalars(select(Tenant).where(Tenant.is_platform.is_(True))).one()


@pytest.fixture
def package_factory(db: Any) -> Callable[..., LibraryPackage]:
    def make(
        title: str = "Security basics",
        *,
        lessons: list[dict[str, Any]] | None = None,
        publish: bool = True,
        audiences: tuple[str, ...] = (),
        partner_tiers: tuple[str, ...] = (),
        auto_deploy: bool = False,
    ) -> LibraryPackage:
        package = services.create_package(unique_slug(SLUG_PREFIX.rstrip("-")), title, "About security.")
        draft = package.draft
        assert draft is not None
        services.update_draft(
            draft, **draft_fields(draft, lessons=lessons if lessons is not None else [PAGE, VIDEO])
        )
        if publish:
            services.publish(draft)
        if audiences or auto_deploy:
            services.set_targeting(package, list(audiences), list(partner_tiers), auto_deploy)
        return package

    return make


@pytest.fixture(autouse=True)
def _no_automatic_packages_leak(db: Any) -> Iterator[None]:
    yield
    db.session.rollback()
    # The demo's package too: it now carries translations, which would appear in later tests' portals.
    leaked = db.session.scalars(
        select(LibraryPackage).where(
            LibraryPackage.slug.startswith(SLUG_PREFIX) | (LibraryPackage.slug == DEMO_SLUG),
            LibraryPackage.auto_deploy.is_(True),
        )
    ).all()
    with platform_writes("tests: stop automatic packages leaking into later tests"):
        for package in leaked:
            package.auto_deploy = False
    db.session.commit()
