"""library release notes: what changed in a published version, written by the operator

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-05 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    # library_versions is global (no tenant_id, no row-level security); versions published before
    # this had no notes, so they get an empty text.
    with op.batch_alter_table('library_versions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('release_notes', sa.Text(), server_default='', nullable=False))


def downgrade():
    with op.batch_alter_table('library_versions', schema=None) as batch_op:
        batch_op.drop_column('release_notes')
