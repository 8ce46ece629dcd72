"""job outbox: jobs recorded with the change that asked for them, sent to RQ after the commit
and kept while Redis is unreachable

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-05 07:45:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    # A global table (no row-level security): the sender and the worker read every tenant's jobs,
    # and platform jobs have no tenant.
    op.create_table('job_outbox',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=True),
    sa.Column('queue', sa.String(length=20), nullable=False),
    sa.Column('function', sa.String(length=200), nullable=False),
    sa.Column('args', sa.JSON(), nullable=False),
    sa.Column('kwargs', sa.JSON(), nullable=False),
    sa.Column('key', sa.String(length=200), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_job_outbox_tenant_id_tenants')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_job_outbox'))
    )
    with op.batch_alter_table('job_outbox', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_job_outbox_tenant_id'), ['tenant_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_job_outbox_key'), ['key'], unique=False)
        batch_op.create_index(batch_op.f('ix_job_outbox_status'), ['status'], unique=False)


def downgrade():
    with op.batch_alter_table('job_outbox', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_job_outbox_status'))
        batch_op.drop_index(batch_op.f('ix_job_outbox_key'))
        batch_op.drop_index(batch_op.f('ix_job_outbox_tenant_id'))

    op.drop_table('job_outbox')
