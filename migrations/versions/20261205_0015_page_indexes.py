"""indexes the main pages' plans need at 100,000 people in one tenant: a manager's reach (users by
manager and by unit), the assign list (published courses by title), Sign-offs waiting (checkpoint
lessons), the Policies report (acknowledgements by policy and person, a version's by time; active
people by name), and on PostgreSQL trigram indexes for catalog search (pg_trgm, a trusted
extension; skipped where this role cannot create it)

Revision ID: 0015
Revises: 0012
Create Date: 2026-12-05 13:00:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0015"
down_revision = "0012"
branch_labels = None
depends_on = None

# (table, index, columns): plain column indexes, on every database; the models declare the same.
INDEXES = [
    ("users", "ix_users_tenant_manager", ["tenant_id", "manager_id"]),
    ("users", "ix_users_tenant_org_unit", ["tenant_id", "org_unit_id"]),
    ("users", "ix_users_tenant_status_name", ["tenant_id", "status", "full_name", "id"]),
    ("courses", "ix_courses_tenant_status_title", ["tenant_id", "status", "title"]),
    ("lessons", "ix_lessons_tenant_kind_course", ["tenant_id", "kind", "course_id"]),
    (
        "policy_acknowledgements",
        "ix_policy_acknowledgements_tenant_policy_user",
        ["tenant_id", "policy_id", "user_id", "version_id"],
    ),
    (
        "policy_acknowledgements",
        "ix_policy_acknowledgements_tenant_version_time",
        ["tenant_id", "version_id", "acknowledged_at", "id"],
    ),
]

# PostgreSQL only: catalog search is lower(title) LIKE '%q%' OR lower(description) LIKE '%q%'.
TRIGRAM_INDEXES = [
    ("ix_courses_title_trgm", "lower(title)"),
    ("ix_courses_description_trgm", "lower(description)"),
]


def _trigrams_available() -> bool:
    """Create pg_trgm if it is missing; False where this role may not (the indexes are then skipped)."""
    bind = op.get_bind()
    if bind.execute(sa.text("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'")).scalar():
        return True
    savepoint = bind.begin_nested()
    try:
        bind.execute(sa.text("CREATE EXTENSION IF NOT EXISTS pg_trgm"))
    except sa.exc.DBAPIError:
        savepoint.rollback()
        return False
    savepoint.commit()
    return True


def upgrade():
    for table, name, columns in INDEXES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.create_index(name, columns, unique=False)
    if op.get_bind().dialect.name == "postgresql" and _trigrams_available():
        for name, expression in TRIGRAM_INDEXES:
            op.execute(f"CREATE INDEX IF NOT EXISTS {name} ON courses USING gin ({expression} gin_trgm_ops)")


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        for name, _expression in TRIGRAM_INDEXES:
            op.execute(f"DROP INDEX IF EXISTS {name}")
    for table, name, _columns in reversed(INDEXES):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(name)
