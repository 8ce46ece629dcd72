"""audit links authenticated with an HMAC under a key the database never holds, with its key id;
rows written before keep verifying as legacy SHA-256 links

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-05 08:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('mac', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('mac_kid', sa.String(length=32), nullable=True))


def downgrade():
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.drop_column('mac_kid')
        batch_op.drop_column('mac')
