"""PostgreSQL row-level security for tenant-scoped tables: the policy today, for tests and new migrations.

Migrations do not import this module: each one writes out the SQL it runs, so that changing this
file cannot rewrite history. A migration that adds a scoped table copies :func:`enable_statements`'
output for it (``tests/tenancy/test_row_level_security.py`` checks every scoped table's policy).

The predicate reads one setting, ``app.tenant_id``, so whatever the application role sets it sees
one tenant at most; cross-tenant work runs as the platform role (``BYPASSRLS``, docs/decisions/0009).
"""

from __future__ import annotations

POLICY_NAME = "tenant_isolation"

PREDICATE = "tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::integer"


def enable_statements(table: str) -> list[str]:
    """Return the SQL that turns on row-level security for *table*."""
    return [
        f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY",
        f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY",
        f"DROP POLICY IF EXISTS {POLICY_NAME} ON {table}",
        f"CREATE POLICY {POLICY_NAME} ON {table} USING ({PREDICATE}) WITH CHECK ({PREDICATE})",
    ]


def scoped_tables() -> list[str]:
    """Return the names of every table whose model is TenantScoped."""
    from app.extensions import Base
    from app.tenancy.models import TenantScoped

    tables = set()
    for mapper in Base.registry.mappers:
        if issubclass(mapper.class_, TenantScoped):
            tables.add(str(mapper.local_table.description))
    return sorted(tables)


# Revoke UPDATE, DELETE and TRUNCATE on an append-only table from every role
# that was granted them (default privileges grant them to the application role).
APPEND_ONLY_SQL = """
DO $$
DECLARE r record;
BEGIN
  FOR r IN SELECT DISTINCT grantee FROM information_schema.role_table_grants
           WHERE table_name = '{table}' AND grantee <> current_user
  LOOP
    EXECUTE format('REVOKE UPDATE, DELETE, TRUNCATE ON {table} FROM %I', r.grantee);
  END LOOP;
END $$;
"""
