"""HR syncs: each run records the org units it created (locations, departments), so that rolling the
run back removes them again (or says what still uses them)

Revision ID: 0033
Revises: 0032
Create Date: 2026-12-06 09:20:00.000000

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0033'
down_revision = '0032'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('sync_runs', sa.Column('created_org_units', sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table('sync_runs') as batch_op:
        batch_op.drop_column('created_org_units')
