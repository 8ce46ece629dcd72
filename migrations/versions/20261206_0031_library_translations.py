"""library versions carry translations of their texts (course, lessons, questions) per locale

Revision ID: 0031
Revises: 0030
Create Date: 2026-12-06 04:00:00.000000

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0031'
down_revision = '0030'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('library_versions') as batch:
        batch.add_column(sa.Column('translations', sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table('library_versions') as batch:
        batch.drop_column('translations')
