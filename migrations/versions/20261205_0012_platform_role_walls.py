"""tenancy walls the application role cannot switch off: the row-level security policies no longer
honour app.unscoped or app.platform_writes (settings the application role could set itself);
cross-tenant reads and global-table writes run as the platform role, which has BYPASSRLS
(docs/decisions/0009); job_outbox shows the application role only its tenant's rows

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-05 10:00:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None

# The SQL is written out here, not imported from app.tenancy.rls, so that later changes to that
# module cannot rewrite what this migration did.
TENANT = "tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::integer"
OLD_TENANT = "current_setting('app.unscoped', true) = 'on' OR " + TENANT
OWN_TENANT = "id = NULLIF(current_setting('app.tenant_id', true), '')::integer"
OLD_PLATFORM = "current_setting('app.platform_writes', true) = 'on'"
GLOBAL_TABLES = ("tenants", "tenant_domains", "library_packages", "library_versions")

# Every tenant_isolation policy (one per tenant-scoped table) gets *predicate*.
ALTER_EVERY_POLICY = """
DO $$
DECLARE r record;
BEGIN
  FOR r IN SELECT tablename FROM pg_policies
           WHERE policyname = 'tenant_isolation' AND schemaname = current_schema()
  LOOP
    EXECUTE format('ALTER POLICY tenant_isolation ON %I USING ({predicate}) WITH CHECK ({predicate})',
                   r.tablename);
  END LOOP;
END $$;
"""


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(ALTER_EVERY_POLICY.format(predicate=TENANT.replace("'", "''")))
    # The global tables: every role reads them; the application role may update its own tenant's
    # row (the columns 0010 granted) and nothing else. No INSERT policy: only the platform role
    # (BYPASSRLS) adds tenants, domains and library content.
    for table in GLOBAL_TABLES:
        for policy in ("platform_insert", "platform_update", "platform_or_own_update"):
            op.execute(f"DROP POLICY IF EXISTS {policy} ON {table}")
    op.execute(f"CREATE POLICY own_update ON tenants FOR UPDATE USING ({OWN_TENANT}) WITH CHECK ({OWN_TENANT})")
    # Queued jobs: the application role sees and writes only the tenant in context's rows; the
    # sender, the sweeper and tenant-less (platform) jobs run as the platform role.
    op.execute("ALTER TABLE job_outbox ENABLE ROW LEVEL SECURITY")
    op.execute("ALTER TABLE job_outbox FORCE ROW LEVEL SECURITY")
    op.execute(f"CREATE POLICY tenant_isolation ON job_outbox USING ({TENANT}) WITH CHECK ({TENANT})")


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP POLICY IF EXISTS tenant_isolation ON job_outbox")
    op.execute("ALTER TABLE job_outbox NO FORCE ROW LEVEL SECURITY")
    op.execute("ALTER TABLE job_outbox DISABLE ROW LEVEL SECURITY")
    op.execute("DROP POLICY IF EXISTS own_update ON tenants")
    for table in GLOBAL_TABLES:
        op.execute(f"CREATE POLICY platform_insert ON {table} FOR INSERT WITH CHECK ({OLD_PLATFORM})")
        if table == "tenants":
            op.execute(
                f"CREATE POLICY platform_or_own_update ON {table} FOR UPDATE "
                f"USING ({OLD_PLATFORM} OR {OWN_TENANT}) WITH CHECK ({OLD_PLATFORM} OR {OWN_TENANT})"
            )
        else:
            op.execute(
                f"CREATE POLICY platform_update ON {table} FOR UPDATE "
                f"USING ({OLD_PLATFORM}) WITH CHECK ({OLD_PLATFORM})"
            )
    op.execute(ALTER_EVERY_POLICY.format(predicate=OLD_TENANT.replace("'", "''")))
