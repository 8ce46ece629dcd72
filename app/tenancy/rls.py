"""PostgreSQL row-level security for tenant-scoped tables, used by migrations and tests."""

from __future__ import annotations

POLICY_NAME = "tenant_isolation"

_PREDICATE = (
    "current_setting('app.unscoped', true) = 'on' "
    "OR tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::integer"
)


def enable_statements(table: str) -> list[str]:
    """Return the SQL that turns on row-level security for *table*."""
    return [
        f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY",
        f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY",
        f"DROP POLICY IF EXISTS {POLICY_NAME} ON {table}",
        f"CREATE POLICY {POLICY_NAME} ON {table} USING ({_PREDICATE}) WITH CHECK ({_PREDICATE})",
    ]


def enable(op: object, table: str) -> None:
    """Enable row-level security on *table* from an Alembic migration (PostgreSQL only)."""
    bind = op.get_bind()  # type: ignore[attr-defined]
    if bind.dialect.name != "postgresql":
        return
    for statement in enable_statements(table):
        op.execute(statement)  # type: ignore[attr-defined]


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
