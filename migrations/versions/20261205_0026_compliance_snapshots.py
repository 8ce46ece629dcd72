"""compliance snapshots: each unit's (and the whole tenant's) compliance per week, for the 12-week trend;
under row-level security

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-05 23:40:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0026'
down_revision = '0025'
branch_labels = None
depends_on = None

SCOPED_TABLES = ["compliance_snapshots"]

# Row-level security as 0012 left every tenant table, written out here so that later changes of
# app.tenancy.rls cannot rewrite what this migration did.
TENANT = "tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::integer"


def upgrade():
    op.create_table('compliance_snapshots',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('org_unit_id', sa.Integer(), nullable=True),
    sa.Column('week_start', sa.Date(), nullable=False),
    sa.Column('people', sa.Integer(), nullable=False),
    sa.Column('compliant', sa.Integer(), nullable=False),
    sa.Column('overdue', sa.Integer(), nullable=False),
    sa.Column('expired', sa.Integer(), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['org_unit_id'], ['org_units.id'], name=op.f('fk_compliance_snapshots_org_unit_id_org_units')),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_compliance_snapshots_tenant_id_tenants')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_compliance_snapshots')),
    sa.UniqueConstraint('tenant_id', 'org_unit_id', 'week_start', name=op.f('uq_compliance_snapshots_tenant_id_org_unit_id_week_start')),
    )
    with op.batch_alter_table('compliance_snapshots', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_compliance_snapshots_tenant_id'), ['tenant_id'], unique=False)
        batch_op.create_index('uq_compliance_snapshots_tenant_week_whole', ['tenant_id', 'week_start'], unique=True, postgresql_where=sa.text('org_unit_id IS NULL'), sqlite_where=sa.text('org_unit_id IS NULL'))

    if op.get_bind().dialect.name != "postgresql":
        return
    for table in SCOPED_TABLES:
        op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
        op.execute(f"CREATE POLICY tenant_isolation ON {table} USING ({TENANT}) WITH CHECK ({TENANT})")


def downgrade():
    with op.batch_alter_table('compliance_snapshots', schema=None) as batch_op:
        batch_op.drop_index('uq_compliance_snapshots_tenant_week_whole', postgresql_where=sa.text('org_unit_id IS NULL'), sqlite_where=sa.text('org_unit_id IS NULL'))
        batch_op.drop_index(batch_op.f('ix_compliance_snapshots_tenant_id'))
    op.drop_table('compliance_snapshots')
