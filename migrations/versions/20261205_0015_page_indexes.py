"""indexes the main pages' plans need at 100,000 people in one tenant: a manager's reach (users by
manager and by unit), the assign list (published courses by title), Sign-offs waiting (checkpoint
lessons), the Policies report (acknowledgements by policy and person, a version's by time; active
people by name).

No trigram index for catalog search: under row-level security PostgreSQL may not use an index for
LIKE (textlike is not leakproof, so it runs after the tenant policy, row by row); measured on
100,000 people and 10,000 courses, the application role's plan stayed a sequential scan.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-05 13:00:00.000000

"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "0015"
down_revision = "0014"
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


def upgrade():
    for table, name, columns in INDEXES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.create_index(name, columns, unique=False)


def downgrade():
    for table, name, _columns in reversed(INDEXES):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(name)
