"""per-tenant terminology: message_overrides (a portal's own wording of interface messages per language)
under row-level security; the built-in translator role, and translations.manage for tenant admins

Revision ID: 0029
Revises: 0028
Create Date: 2026-12-05 23:40:00.000000

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0029'
down_revision = '0028'
branch_labels = None
depends_on = None

SCOPED_TABLES = ["message_overrides"]

# Row-level security as 0012 left every tenant table, written out here so that later changes of
# app.tenancy.rls cannot rewrite what this migration did.
TENANT = "tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::integer"

PERMISSION = "translations.manage"
TRANSLATOR = {"key": "translator", "name": "Translator", "permissions": ["learning.take", PERMISSION]}


def upgrade():
    op.create_table('message_overrides',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('locale', sa.String(length=10), nullable=False),
    sa.Column('msgid', sa.Text(), nullable=False),
    sa.Column('msgid_plural', sa.Text(), nullable=True),
    sa.Column('context', sa.String(length=200), nullable=False),
    sa.Column('translations', sa.JSON(), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], name=op.f('fk_message_overrides_updated_by_id_users')),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_message_overrides_tenant_id_tenants')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_message_overrides')),
    sa.UniqueConstraint('tenant_id', 'locale', 'msgid', 'context', name=op.f('uq_message_overrides_tenant_id_locale_msgid_context')),
    )
    with op.batch_alter_table('message_overrides', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_message_overrides_tenant_id'), ['tenant_id'], unique=False)
        batch_op.create_index('ix_message_overrides_tenant_locale', ['tenant_id', 'locale'], unique=False)

    if op.get_bind().dialect.name == "postgresql":
        for table in SCOPED_TABLES:
            op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
            op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
            op.execute(f"CREATE POLICY tenant_isolation ON {table} USING ({TENANT}) WITH CHECK ({TENANT})")
    _translator_roles(add=True)


def downgrade():
    _translator_roles(add=False)
    op.drop_table('message_overrides')


def _tenant_ids(bind):
    """The ids of the portals (not the platform tenant); tenants is a global table every role reads."""
    tenants = sa.table("tenants", sa.column("id", sa.Integer), sa.column("is_platform", sa.Boolean))
    return list(bind.execute(sa.select(tenants.c.id).where(tenants.c.is_platform.is_(False))).scalars())


def _translator_roles(*, add: bool):
    """Built-in roles are rows per tenant: every portal gets the translator role, its admins the permission."""
    bind = op.get_bind()
    roles = sa.table(
        "roles",
        sa.column("id", sa.Integer),
        sa.column("tenant_id", sa.Integer),
        sa.column("key", sa.String),
        sa.column("name", sa.String),
        sa.column("builtin", sa.Boolean),
        sa.column("permissions", sa.JSON),
    )
    for tenant_id in _tenant_ids(bind):
        # Roles are under forced row-level security, even for the owner: one tenant at a time.
        if bind.dialect.name == "postgresql":
            bind.execute(sa.text("SELECT set_config('app.tenant_id', :id, true)"), {"id": str(tenant_id)})
        rows = bind.execute(
            sa.select(roles.c.id, roles.c.key, roles.c.name, roles.c.permissions).where(roles.c.tenant_id == tenant_id)
        ).all()
        for role_id, key, _name, permissions in rows:
            if key != "tenant_admin":
                continue
            current = list(permissions or [])
            updated = current + [PERMISSION] if add and PERMISSION not in current else current
            if not add:
                updated = [p for p in current if p != PERMISSION]
            if updated != current:
                bind.execute(roles.update().where(roles.c.id == role_id).values(permissions=updated))
        taken = {(key, name) for _id, key, name, _p in rows}
        has_key = any(key == TRANSLATOR["key"] for key, _name in taken)
        has_name = any(name == TRANSLATOR["name"] for _key, name in taken)
        if add and not has_key and not has_name:
            bind.execute(roles.insert().values(tenant_id=tenant_id, builtin=True, **TRANSLATOR))
        elif not add and has_key:
            # Leave the role where people still hold it; a downgrade must not take access silently.
            bind.execute(
                sa.text(
                    "DELETE FROM roles WHERE tenant_id = :t AND key = 'translator' AND NOT EXISTS "
                    "(SELECT 1 FROM role_assignments a WHERE a.role_id = roles.id)"
                ),
                {"t": tenant_id},
            )
