"""partner program: tiers, their targets (certified people per certification) and partner companies
(organisation units with a tier), under row-level security; tenant admins may view and manage it

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-05 23:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0027'
down_revision = '0026'
branch_labels = None
depends_on = None

SCOPED_TABLES = ["partner_tiers", "partner_tier_targets", "partner_companies"]

# Row-level security as 0012 left every tenant table, written out here so that later changes of
# app.tenancy.rls cannot rewrite what this migration did.
TENANT = "tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::integer"

# Built-in roles are rows per tenant: existing tenants' roles get the new permissions too.
NEW_PERMISSIONS = {"tenant_admin": ["partners.view", "partners.manage"]}


def _tenant(table):
    return [
        sa.Column('tenant_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f(f'fk_{table}_tenant_id_tenants')),
        sa.PrimaryKeyConstraint('id', name=op.f(f'pk_{table}')),
    ]


def upgrade():
    op.create_table('partner_tiers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('rank', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.UniqueConstraint('tenant_id', 'name', name=op.f('uq_partner_tiers_tenant_id_name')),
    *_tenant('partner_tiers'),
    )
    with op.batch_alter_table('partner_tiers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_partner_tiers_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('partner_tier_targets',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('tier_id', sa.Integer(), nullable=False),
    sa.Column('certification_id', sa.Integer(), nullable=False),
    sa.Column('target', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['tier_id'], ['partner_tiers.id'], name=op.f('fk_partner_tier_targets_tier_id_partner_tiers')),
    sa.ForeignKeyConstraint(['certification_id'], ['certifications.id'], name=op.f('fk_partner_tier_targets_certification_id_certifications')),
    sa.UniqueConstraint('tenant_id', 'tier_id', 'certification_id', name=op.f('uq_partner_tier_targets_tenant_id_tier_id_certification_id')),
    *_tenant('partner_tier_targets'),
    )
    with op.batch_alter_table('partner_tier_targets', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_partner_tier_targets_tenant_id'), ['tenant_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_partner_tier_targets_tier_id'), ['tier_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_partner_tier_targets_certification_id'), ['certification_id'], unique=False)

    op.create_table('partner_companies',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('org_unit_id', sa.Integer(), nullable=False),
    sa.Column('tier_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['org_unit_id'], ['org_units.id'], name=op.f('fk_partner_companies_org_unit_id_org_units')),
    sa.ForeignKeyConstraint(['tier_id'], ['partner_tiers.id'], name=op.f('fk_partner_companies_tier_id_partner_tiers')),
    sa.UniqueConstraint('tenant_id', 'org_unit_id', name=op.f('uq_partner_companies_tenant_id_org_unit_id')),
    *_tenant('partner_companies'),
    )
    with op.batch_alter_table('partner_companies', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_partner_companies_tenant_id'), ['tenant_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_partner_companies_tier_id'), ['tier_id'], unique=False)

    if op.get_bind().dialect.name == "postgresql":
        for table in SCOPED_TABLES:
            op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
            op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
            op.execute(f"CREATE POLICY tenant_isolation ON {table} USING ({TENANT}) WITH CHECK ({TENANT})")
    _grant_builtin_permissions(add=True)


def downgrade():
    _grant_builtin_permissions(add=False)
    for table in ("partner_companies", "partner_tier_targets", "partner_tiers"):
        op.drop_table(table)


def _grant_builtin_permissions(*, add: bool):
    """Give (or take back) the new permissions of each tenant's built-in roles, one tenant at a time.

    Roles are under forced row-level security (the owner included, and no setting lifts it since
    0012): the tenant is put in context for each tenant's rows.
    """
    bind = op.get_bind()
    postgresql = bind.dialect.name == "postgresql"
    roles = sa.table(
        "roles",
        sa.column("id", sa.Integer),
        sa.column("tenant_id", sa.Integer),
        sa.column("key", sa.String),
        sa.column("builtin", sa.Boolean),
        sa.column("permissions", sa.JSON),
    )
    tenant_ids = [row[0] for row in bind.execute(sa.text("SELECT id FROM tenants ORDER BY id"))]
    for tenant_id in tenant_ids:
        if postgresql:
            bind.execute(sa.text("SELECT set_config('app.tenant_id', :tenant, true)"), {"tenant": str(tenant_id)})
        rows = bind.execute(
            sa.select(roles.c.id, roles.c.key, roles.c.permissions).where(
                roles.c.tenant_id == tenant_id,
                roles.c.builtin.is_(True),
                roles.c.key.in_(list(NEW_PERMISSIONS)),
            )
        ).all()
        for role_id, key, permissions in rows:
            current = list(permissions or [])
            wanted = NEW_PERMISSIONS[key]
            updated = current + [p for p in wanted if p not in current] if add else [p for p in current if p not in wanted]
            if updated != current:
                bind.execute(roles.update().where(roles.c.id == role_id).values(permissions=updated))
    if postgresql:
        bind.execute(sa.text("SELECT set_config('app.tenant_id', '', true)"))
