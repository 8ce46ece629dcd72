"""policy documents (PDF versions) and acknowledgement receipts

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 18:00:00.000000

"""
from alembic import op
import sqlalchemy as sa

SCOPED_TABLES = ["policy_receipts"]

# Built-in roles are rows per tenant: existing tenants' roles get the new permissions too.
NEW_PERMISSIONS = {
    "tenant_admin": ["policies.manage", "policies.report"],
    "auditor": ["policies.report"],
}


# revision identifiers, used by Alembic.
revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

# Row-level security as app.tenancy.rls created it when this migration was written, copied here
# so that a later change of that module cannot rewrite what this migration did (0012 changes it).
_RLS_POLICY = "tenant_isolation"
_RLS_PREDICATE = (
    "current_setting('app.unscoped', true) = 'on' "
    "OR tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::integer"
)


def _enable_rls(table):
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
    op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
    op.execute(f"DROP POLICY IF EXISTS {_RLS_POLICY} ON {table}")
    op.execute(
        f"CREATE POLICY {_RLS_POLICY} ON {table} USING ({_RLS_PREDICATE}) WITH CHECK ({_RLS_PREDICATE})"
    )


def upgrade():
    with op.batch_alter_table('policy_versions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('document_key', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('document_filename', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('document_size', sa.Integer(), nullable=True))

    op.create_table('policy_receipts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('acknowledgement_id', sa.Integer(), nullable=False),
    sa.Column('storage_key', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['acknowledgement_id'], ['policy_acknowledgements.id'], name=op.f('fk_policy_receipts_acknowledgement_id_policy_acknowledgements')),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_policy_receipts_tenant_id_tenants')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_policy_receipts')),
    sa.UniqueConstraint('tenant_id', 'acknowledgement_id', name=op.f('uq_policy_receipts_tenant_id_acknowledgement_id'))
    )
    with op.batch_alter_table('policy_receipts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_policy_receipts_tenant_id'), ['tenant_id'], unique=False)

    for table in SCOPED_TABLES:
        _enable_rls(table)
    _grant_builtin_permissions(add=True)


def downgrade():
    _grant_builtin_permissions(add=False)
    with op.batch_alter_table('policy_receipts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_policy_receipts_tenant_id'))
    op.drop_table('policy_receipts')
    with op.batch_alter_table('policy_versions', schema=None) as batch_op:
        batch_op.drop_column('document_size')
        batch_op.drop_column('document_filename')
        batch_op.drop_column('document_key')


def _grant_builtin_permissions(*, add: bool):
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        # Roles are under forced row-level security, even for the owner: this step spans every tenant.
        op.execute("SELECT set_config('app.unscoped', 'on', true)")
    roles = sa.table(
        "roles",
        sa.column("id", sa.Integer),
        sa.column("key", sa.String),
        sa.column("builtin", sa.Boolean),
        sa.column("permissions", sa.JSON),
    )
    rows = bind.execute(
        sa.select(roles.c.id, roles.c.key, roles.c.permissions).where(
            roles.c.builtin.is_(True), roles.c.key.in_(list(NEW_PERMISSIONS))
        )
    ).all()
    for role_id, key, permissions in rows:
        current = list(permissions or [])
        wanted = NEW_PERMISSIONS[key]
        updated = current + [p for p in wanted if p not in current] if add else [p for p in current if p not in wanted]
        if updated != current:
            bind.execute(roles.update().where(roles.c.id == role_id).values(permissions=updated))
