"""Set up the PostgreSQL roles Atrium needs: an owner for migrations, an application role under
row-level security, and the platform role for cross-tenant work (docs/decisions/0009)."""

from __future__ import annotations

import re
from typing import NamedTuple

from sqlalchemy.engine import make_url

_IDENT = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def _ident(name: str) -> str:
    if not _IDENT.match(name):
        raise ValueError(f"not a safe PostgreSQL identifier: {name!r}")
    return f'"{name}"'


class DatabaseUrls(NamedTuple):
    app: str  # DATABASE_URL: the application role, bound by row-level security
    owner: str  # MIGRATION_DATABASE_URL: owns the schema, runs migrations
    platform: str  # PLATFORM_DATABASE_URL: the platform role, for cross-tenant work


def prepare_database(
    admin_url: str,
    database: str,
    *,
    owner: str = "atrium_owner",
    app_role: str = "atrium_app",
    platform_role: str = "atrium_platform",
    create: bool = True,
) -> DatabaseUrls:
    """Create the roles (if missing) and *database*, and grant the application role its rights.

    The application role owns nothing, is not a superuser and cannot bypass row-level security;
    default privileges give it SELECT/INSERT/UPDATE/DELETE on the tables the owner creates; the
    migrations that create the append-only and global tables then narrow those rights (the
    tables do not exist yet here; docs/decisions/0005). The platform role has ``BYPASSRLS`` and
    exactly the application role's privileges (it is a member of it, so it inherits every grant
    and revoke the migrations make); the application role is not a member of the platform role,
    so it can never become it. Safe to run again on an existing database (it adds what is missing).
    """
    import psycopg

    admin = make_url(admin_url)
    conninfo = admin.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(conninfo, autocommit=True) as conn:
        for role, options in (
            (owner, "NOBYPASSRLS"),
            (app_role, "NOBYPASSRLS"),
            (platform_role, "BYPASSRLS"),
        ):
            if conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (role,)).fetchone() is None:
                conn.execute(
                    f"CREATE ROLE {_ident(role)} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE {options}"
                )
        conn.execute(f"ALTER ROLE {_ident(platform_role)} BYPASSRLS")
        conn.execute(f"GRANT {_ident(app_role)} TO {_ident(platform_role)}")
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (database,)).fetchone()
        if exists is None and create:
            conn.execute(f"CREATE DATABASE {_ident(database)} OWNER {_ident(owner)}")
    target = admin.set(drivername="postgresql", database=database).render_as_string(hide_password=False)
    with psycopg.connect(target, autocommit=True) as conn:
        statements = [
            f"GRANT CONNECT ON DATABASE {_ident(database)} TO {_ident(app_role)}",
            f"GRANT USAGE ON SCHEMA public TO {_ident(app_role)}",
            f"ALTER DEFAULT PRIVILEGES FOR ROLE {_ident(owner)} IN SCHEMA public "
            f"GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {_ident(app_role)}",
            f"ALTER DEFAULT PRIVILEGES FOR ROLE {_ident(owner)} IN SCHEMA public "
            f"GRANT USAGE, SELECT ON SEQUENCES TO {_ident(app_role)}",
        ]
        for statement in statements:
            conn.execute(statement)
    base = admin.set(drivername="postgresql+psycopg", database=database, password=None)
    return DatabaseUrls(
        app=base.set(username=app_role).render_as_string(hide_password=False),
        owner=base.set(username=owner).render_as_string(hide_password=False),
        platform=base.set(username=platform_role).render_as_string(hide_password=False),
    )


def drop_database(admin_url: str, database: str) -> None:
    import psycopg

    conninfo = make_url(admin_url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {_ident(database)} WITH (FORCE)")
