"""The global tables (tenants, domains, library) are read by every request but changed only by the platform.

On PostgreSQL, as the application role: a tenant request can read them all, change only its own
portal's settings, and nothing else; the console and the CLI still create, suspend, resume, add
domains and publish library content (docs/decisions/0005).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import Connection

from app.console.services import add_custom_domain
from app.library import services as library
from app.portal.services import update_locale_settings
from app.tenancy import as_tenant, platform_writes
from app.tenancy.models import Tenant
from tests.conftest import csrf_token, unique_slug

pytestmark = pytest.mark.postgres


@pytest.fixture
def as_app_role(app: Any) -> Iterator[Any]:
    """Open a raw connection as the application role with *tenant* set, as any tenant request has."""
    engine = create_engine(app.config["SQLALCHEMY_DATABASE_URI"])
    opened: list[Connection] = []

    def connect(tenant: Tenant, *, platform_writes: str = "off") -> Connection:
        conn = engine.connect()
        opened.append(conn)
        conn.begin()
        conn.execute(
            text("SELECT set_config('app.tenant_id', :t, true), set_config('app.platform_writes', :p, true)"),
            {"t": str(tenant.id), "p": platform_writes},
        )
        return conn

    yield connect
    for conn in opened:  # a refused statement leaves its transaction open; close what the test opened
        conn.close()
    engine.dispose()


@pytest.fixture
def two_tenants_and_a_package(db, tenant_factory):
    attacker, victim = tenant_factory(), tenant_factory()
    add_custom_domain(victim, f"learn.{victim.slug}.example", verified=True)
    package = library.create_package(unique_slug("lib-test"), "Security basics")
    db.session.commit()
    return attacker, victim, package


def _one(conn: Connection, sql: str, **params: Any) -> Any:
    return conn.execute(text(sql), params).scalar()


def test_a_tenant_request_reads_every_tenant_domain_and_library_row_it_needs(
    as_app_role, two_tenants_and_a_package
):
    attacker, victim, package = two_tenants_and_a_package
    with as_app_role(attacker) as conn:
        assert _one(conn, "SELECT status FROM tenants WHERE id = :id", id=victim.id) == "active"
        assert _one(conn, "SELECT count(*) FROM tenant_domains WHERE tenant_id = :id", id=victim.id) == 1
        assert _one(conn, "SELECT slug FROM library_packages WHERE id = :id", id=package.id) == package.slug
        assert _one(conn, "SELECT count(*) FROM library_versions WHERE package_id = :id", id=package.id) == 1


@pytest.mark.parametrize(
    ("statement", "refusal"),
    [
        ("UPDATE tenants SET slug = 'taken-over' WHERE id = :own", "permission denied"),
        ("UPDATE tenants SET is_platform = true WHERE id = :own", "permission denied"),
        (
            "UPDATE tenants SET audience = 'partners', partner_tier = 'gold' WHERE id = :own",
            "permission denied",
        ),
        ("DELETE FROM tenants WHERE id = :victim", "permission denied"),
        ("TRUNCATE tenants CASCADE", "permission denied"),
        (
            "INSERT INTO tenants (slug, display_name, audience, status, is_platform, default_locale,"
            " enabled_locales, time_zone, theme, branding, session_idle_minutes, session_max_hours,"
            " created_at) VALUES ('rogue', 'Rogue', 'other', 'active', true, 'en', '[\"en\"]', 'UTC',"
            " 'default', '{}', 60, 24, now())",
            "row-level security",
        ),
        (
            "INSERT INTO tenant_domains (tenant_id, domain, verified, created_at)"
            " VALUES (:own, 'phish.example', true, now())",
            "row-level security",
        ),
        ("UPDATE tenant_domains SET tenant_id = :own WHERE tenant_id = :victim", "permission denied"),
        ("DELETE FROM tenant_domains WHERE tenant_id = :victim", "permission denied"),
        (
            "INSERT INTO library_packages (slug, audiences, partner_tiers, auto_deploy, created_at)"
            " VALUES ('rogue-package', '[]', '[]', true, now())",
            "row-level security",
        ),
        ("DELETE FROM library_versions", "permission denied"),
        ("DELETE FROM library_packages", "permission denied"),
    ],
)
def test_a_tenant_request_cannot_change_what_belongs_to_the_platform(
    as_app_role, two_tenants_and_a_package, statement, refusal
):
    attacker, victim, _package = two_tenants_and_a_package
    with as_app_role(attacker) as conn, pytest.raises(Exception, match=refusal):
        conn.execute(text(statement), {"own": attacker.id, "victim": victim.id})


def test_a_tenant_request_cannot_suspend_another_tenant_or_edit_library_content(
    db, as_app_role, two_tenants_and_a_package
):
    attacker, victim, package = two_tenants_and_a_package
    with as_app_role(attacker) as conn:
        suspended = conn.execute(
            text("UPDATE tenants SET status = 'suspended', suspended_at = now() WHERE id = :id"),
            {"id": victim.id},
        )
        rewritten = conn.execute(
            text("UPDATE library_versions SET title = 'Forged' WHERE package_id = :id"), {"id": package.id}
        )
        retargeted = conn.execute(text("UPDATE library_packages SET auto_deploy = true"))
        conn.commit()
    assert (suspended.rowcount, rewritten.rowcount, retargeted.rowcount) == (0, 0, 0)
    db.session.expire_all()
    assert db.session.get(Tenant, victim.id).status == "active"
    assert package.draft.title == "Security basics" and package.auto_deploy is False


def test_a_tenant_admin_still_changes_their_own_portal_settings(db, tenant_factory):
    tenant = tenant_factory()
    with as_tenant(tenant):
        update_locale_settings(
            tenant, enabled_locales=["en", "fr"], default_locale="fr", time_zone="Europe/Paris"
        )
        db.session.commit()
    db.session.expire_all()
    assert db.session.get(Tenant, tenant.id).default_locale == "fr"


def test_the_console_still_suspends_and_resumes_and_the_cli_adds_a_domain(
    app, db, client_for, user_factory, tenant_factory
):
    platform = db.session.scalars(select(Tenant).where(Tenant.is_platform.is_(True))).one()
    console = client_for(platform, user_factory(platform, roles=("operator",)))
    tenant = tenant_factory()
    token = csrf_token(console, f"/console/tenants/{tenant.id}/suspend")
    suspend = console.post(
        f"/console/tenants/{tenant.id}/suspend", data={"csrf_token": token, "confirm": "yes"}
    )
    assert suspend.status_code == 302 and client_for(tenant).get("/sign-in").status_code == 403
    resume = console.post(
        f"/console/tenants/{tenant.id}/resume", data={"csrf_token": csrf_token(console, "/console/")}
    )
    assert resume.status_code == 302 and client_for(tenant).get("/sign-in").status_code == 200
    added = app.test_cli_runner().invoke(
        args=["tenants", "add-domain", tenant.slug, f"learn.{tenant.slug}.example", "--verified"]
    )
    assert added.exit_code == 0, added.output


def test_an_orm_write_to_another_tenant_s_row_outside_the_platform_path_changes_nothing(db, tenant_factory):
    """A bug that writes a global table from a tenant request fails instead of changing it."""
    tenant, other = tenant_factory(), tenant_factory()
    with as_tenant(tenant):
        db.session.get(Tenant, other.id).status = "suspended"
        with pytest.raises(Exception, match="0 were matched"):
            db.session.flush()
    db.session.rollback()
    assert db.session.get(Tenant, other.id).status == "active"
    with platform_writes("tests: the console's own path"):
        db.session.get(Tenant, other.id).display_name = "Renamed by the platform"
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(Tenant, other.id).display_name == "Renamed by the platform"
