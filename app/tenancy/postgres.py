"""Set up the two PostgreSQL roles Atrium needs: an owner for migrations, an application role under RLS."""

from __future__ import annotations

import re

from sqlalchemy.engine import make_url

_IDENT = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def _ident(name: str) -> str:
    if not _IDENT.match(name):
        raise ValueError(f"not a safe PostgreSQL identifier: {name!r}")
    return f'"{name}"'


def prepare_database(
    admin_url: str,
    database: str,
    *,
    owner: str = "atrium_owner",
    app_role: str = "atrium_app",
    create: bool = True,
) -> tuple[str, str]:
    """Create the roles (if missing) and *database*, and grant the application role its rights.

    Returns (application URL, migration URL). The application role owns nothing,
    is not a superuser and cannot bypass row-level security; default privileges
    give it SELECT/INSERT/UPDATE/DELETE on the tables the owner creates; the
    migrations that create the append-only and global tables then narrow those
    rights (the tables do not exist yet here; docs/decisions/0005).
    """
    import psycopg

    admin = make_url(admin_url)
    conninfo = admin.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(conninfo, autocommit=True) as conn:
        for role, options in ((owner, "NOBYPASSRLS"), (app_role, "NOBYPASSRLS")):
            if conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (role,)).fetchone() is None:
                conn.execute(
                    f"CREATE ROLE {_ident(role)} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE {options}"
                )
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
    app_url = base.set(username=app_role).render_as_string(hide_password=False)
    owner_url = base.set(username=owner).render_as_string(hide_password=False)
    return app_url, owner_url


def drop_database(admin_url: str, database: str) -> None:
    import psycopg

    conninfo = make_url(admin_url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {_ident(database)} WITH (FORCE)")
