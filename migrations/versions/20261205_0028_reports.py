"""reports: exports run as jobs and saved report definitions, under row-level security

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-05 23:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0028'
down_revision = '0027'
branch_labels = None
depends_on = None

SCOPED_TABLES = ["saved_reports", "report_exports"]

# Row-level security as 0012 left every tenant table, written out here so that later changes of
# app.tenancy.rls cannot rewrite what this migration did.
TENANT = "tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::integer"


def upgrade():
    op.create_table('saved_reports',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('report_key', sa.String(length=50), nullable=False),
    sa.Column('filters', sa.JSON(), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=False),
    sa.Column('schedule', sa.String(length=10), nullable=False),
    sa.Column('format', sa.String(length=10), nullable=False),
    sa.Column('recipients', sa.JSON(), nullable=False),
    sa.Column('last_period', sa.String(length=20), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['owner_id'], ['users.id'], name=op.f('fk_saved_reports_owner_id_users')),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_saved_reports_tenant_id_tenants')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_saved_reports'))
    )
    with op.batch_alter_table('saved_reports', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_saved_reports_tenant_id'), ['tenant_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_saved_reports_owner_id'), ['owner_id'], unique=False)

    op.create_table('report_exports',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('requested_by_id', sa.Integer(), nullable=False),
    sa.Column('report_key', sa.String(length=50), nullable=False),
    sa.Column('format', sa.String(length=10), nullable=False),
    sa.Column('filters', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('progress_rows', sa.Integer(), nullable=False),
    sa.Column('total_rows', sa.Integer(), nullable=True),
    sa.Column('storage_key', sa.String(length=200), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('saved_report_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['requested_by_id'], ['users.id'], name=op.f('fk_report_exports_requested_by_id_users')),
    sa.ForeignKeyConstraint(['saved_report_id'], ['saved_reports.id'], name=op.f('fk_report_exports_saved_report_id_saved_reports')),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_report_exports_tenant_id_tenants')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_report_exports'))
    )
    with op.batch_alter_table('report_exports', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_report_exports_tenant_id'), ['tenant_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_report_exports_saved_report_id'), ['saved_report_id'], unique=False)
        batch_op.create_index('ix_report_exports_tenant_requested_by', ['tenant_id', 'requested_by_id', 'created_at'], unique=False)

    if op.get_bind().dialect.name != "postgresql":
        return
    for table in SCOPED_TABLES:
        op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
        op.execute(f"CREATE POLICY tenant_isolation ON {table} USING ({TENANT}) WITH CHECK ({TENANT})")


def downgrade():
    op.drop_table('report_exports')
    op.drop_table('saved_reports')
