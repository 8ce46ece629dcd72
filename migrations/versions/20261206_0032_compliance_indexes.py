"""compliance at scale: a partial index of open enrolments by due date, so the whole-tenant roll-up reads
the overdue ones by index (about a tenth of a million-enrolment table) instead of every enrolment

Revision ID: 0032
Revises: 0031
Create Date: 2026-12-06 04:00:00.000000

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0032'
down_revision = '0031'
branch_labels = None
depends_on = None

OPEN = "completed_at IS NULL AND withdrawn_at IS NULL"


def upgrade():
    op.create_index(
        'ix_enrollments_tenant_open_due',
        'enrollments',
        ['tenant_id', 'due_on', 'user_id'],
        unique=False,
        postgresql_where=sa.text(OPEN),
        sqlite_where=sa.text(OPEN),
    )


def downgrade():
    op.drop_index('ix_enrollments_tenant_open_due', table_name='enrollments')
