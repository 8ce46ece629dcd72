"""compliance: the reminders managers send from the dashboard, under row-level security

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-05 20:10:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0023'
down_revision = '0022'
branch_labels = None
depends_on = None

SCOPED_TABLES = ["compliance_reminders"]

# Row-level security as 0012 left every tenant table, written out here so that later changes of
# app.tenancy.rls cannot rewrite what this migration did.
TENANT = "tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::integer"


def upgrade():
    op.create_table('compliance_reminders',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('sent_by_id', sa.Integer(), nullable=True),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('channel', sa.String(length=10), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['sent_by_id'], ['users.id'], name=op.f('fk_compliance_reminders_sent_by_id_users')),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_compliance_reminders_tenant_id_tenants')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_compliance_reminders_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_compliance_reminders'))
    )
    with op.batch_alter_table('compliance_reminders', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_compliance_reminders_tenant_id'), ['tenant_id'], unique=False)
        batch_op.create_index('ix_compliance_reminders_tenant_user_sent', ['tenant_id', 'user_id', 'sent_at'], unique=False)

    if op.get_bind().dialect.name != "postgresql":
        return
    for table in SCOPED_TABLES:
        op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
        op.execute(f"CREATE POLICY tenant_isolation ON {table} USING ({TENANT}) WITH CHECK ({TENANT})")


def downgrade():
    with op.batch_alter_table('compliance_reminders', schema=None) as batch_op:
        batch_op.drop_index('ix_compliance_reminders_tenant_user_sent')
        batch_op.drop_index(batch_op.f('ix_compliance_reminders_tenant_id'))
    op.drop_table('compliance_reminders')
