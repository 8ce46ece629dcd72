"""server-side sign-in sessions, revocable, with per-tenant idle and absolute limits; sign-in
failures counted per email address, whether or not it has an account

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-05 07:30:00.000000

"""
from alembic import op
import sqlalchemy as sa

SCOPED_TABLES = ["user_sessions", "sign_in_failures"]


# revision identifiers, used by Alembic.
revision = '0008'
down_revision = '0007'
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
    op.create_table('user_sessions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('secret_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_seen_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ip', sa.String(length=45), nullable=True),
    sa.Column('user_agent', sa.String(length=500), nullable=True),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_user_sessions_tenant_id_tenants')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_user_sessions_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_user_sessions'))
    )
    with op.batch_alter_table('user_sessions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_user_sessions_tenant_id'), ['tenant_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_user_sessions_user_id'), ['user_id'], unique=False)

    op.create_table('sign_in_failures',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.Column('locked_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_sign_in_failures_tenant_id_tenants')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sign_in_failures')),
    sa.UniqueConstraint('tenant_id', 'email', name=op.f('uq_sign_in_failures_tenant_id_email'))
    )
    with op.batch_alter_table('sign_in_failures', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sign_in_failures_tenant_id'), ['tenant_id'], unique=False)

    # The counters move to sign_in_failures; a lockout running at upgrade time is forgotten.
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('failed_logins')
        batch_op.drop_column('locked_until')

    # Existing portals get the defaults: 8 hours idle, 7 days at most. Cookies issued before this
    # name no session and sign nobody in: everyone signs in once more.
    with op.batch_alter_table('tenants', schema=None) as batch_op:
        batch_op.add_column(sa.Column('session_idle_minutes', sa.Integer(), server_default='480', nullable=False))
        batch_op.add_column(sa.Column('session_max_hours', sa.Integer(), server_default='168', nullable=False))

    for table in SCOPED_TABLES:
        _enable_rls(table)


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('locked_until', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('failed_logins', sa.Integer(), server_default='0', nullable=False))
    with op.batch_alter_table('sign_in_failures', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sign_in_failures_tenant_id'))
    op.drop_table('sign_in_failures')
    with op.batch_alter_table('tenants', schema=None) as batch_op:
        batch_op.drop_column('session_max_hours')
        batch_op.drop_column('session_idle_minutes')
    with op.batch_alter_table('user_sessions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_user_sessions_user_id'))
        batch_op.drop_index(batch_op.f('ix_user_sessions_tenant_id'))
    op.drop_table('user_sessions')
