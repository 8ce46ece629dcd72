"""my learning at scale: an index of a tenant's published courses by creation, so "You might like" reads
the newest few by index instead of sorting every published course (17 ms at 10,000 courses, then 0.1 ms)

Revision ID: 0034
Revises: 0033
Create Date: 2026-12-06 15:40:00.000000

"""
from alembic import op

# revision identifiers, used by Alembic.
revision = '0034'
down_revision = '0033'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index(
        'ix_courses_tenant_status_created', 'courses', ['tenant_id', 'status', 'created_at'], unique=False
    )


def downgrade():
    op.drop_index('ix_courses_tenant_status_created', table_name='courses')
