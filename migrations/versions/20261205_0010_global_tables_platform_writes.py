"""the global tables (tenants, tenant_domains, library_packages, library_versions) are read-only
for the application role outside the platform's own operations: row-level security lets it
write them only while app.platform_writes is on (or, for tenants, its own row's settings), and
privileges take away DELETE/TRUNCATE and the columns nobody may change (docs/decisions/0005)

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-05 08:30:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

PLATFORM = "current_setting('app.platform_writes', true) = 'on'"
OWN_TENANT = "id = NULLIF(current_setting('app.tenant_id', true), '')::integer"
GLOBAL_TABLES = ("tenants", "tenant_domains", "library_packages", "library_versions")
# What a tenant admin (own row) or the console (suspend, resume) changes; slug, is_platform,
# audience, partner_tier, id and created_at are fixed once the row exists.
TENANT_UPDATABLE = (
    "display_name, theme, branding, default_locale, enabled_locales, time_zone, "
    "session_idle_minutes, session_max_hours, status, suspended_at"
)
DOMAIN_UPDATABLE = "verified, verification_token"

# Every role the owner's default privileges gave these tables to (the application role,
# whatever it is called) loses what no operation needs; UPDATE of fixed columns goes too.
REVOKE_SQL = """
DO $$
DECLARE r record;
BEGIN
  FOR r IN SELECT DISTINCT grantee FROM information_schema.role_table_grants
           WHERE table_name = '{table}' AND grantee <> current_user AND grantee <> 'PUBLIC'
  LOOP
    EXECUTE format('REVOKE DELETE, TRUNCATE{update} ON {table} FROM %I', r.grantee);
    {grant}
  END LOOP;
END $$;
"""


def _revoke(table: str, updatable: str | None) -> str:
    if updatable is None:
        return REVOKE_SQL.format(table=table, update="", grant="")
    grant = f"EXECUTE format('GRANT UPDATE ({updatable}) ON {table} TO %I', r.grantee);"
    return REVOKE_SQL.format(table=table, update=", UPDATE", grant=grant)


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in GLOBAL_TABLES:
        # ENABLE without FORCE: the owner (migrations) is not bound; the application role is.
        op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        op.execute(f"CREATE POLICY global_read ON {table} FOR SELECT USING (true)")
        op.execute(f"CREATE POLICY platform_insert ON {table} FOR INSERT WITH CHECK ({PLATFORM})")
        if table == "tenants":
            op.execute(
                f"CREATE POLICY platform_or_own_update ON {table} FOR UPDATE "
                f"USING ({PLATFORM} OR {OWN_TENANT}) WITH CHECK ({PLATFORM} OR {OWN_TENANT})"
            )
        else:
            op.execute(
                f"CREATE POLICY platform_update ON {table} FOR UPDATE USING ({PLATFORM}) WITH CHECK ({PLATFORM})"
            )
    op.execute(_revoke("tenants", TENANT_UPDATABLE))
    op.execute(_revoke("tenant_domains", DOMAIN_UPDATABLE))
    op.execute(_revoke("library_packages", None))
    op.execute(_revoke("library_versions", None))


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in GLOBAL_TABLES:
        for policy in ("global_read", "platform_insert", "platform_or_own_update", "platform_update"):
            op.execute(f"DROP POLICY IF EXISTS {policy} ON {table}")
        op.execute(f"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY")
    op.execute(
        """
DO $$
DECLARE r record; t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['tenants', 'tenant_domains', 'library_packages', 'library_versions'] LOOP
    FOR r IN SELECT DISTINCT grantee FROM information_schema.role_table_grants
             WHERE table_name = t AND grantee <> current_user AND grantee <> 'PUBLIC'
    LOOP
      EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON %I TO %I', t, r.grantee);
    END LOOP;
  END LOOP;
END $$;
"""
    )
