"""certificates: each award's signed PDF and badge, and the portals' signing keys

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-05 13:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0014'
down_revision = "0013"
branch_labels = None
depends_on = None

SCOPED_TABLES = ["certificate_signing_keys", "certificates"]
# Row-level security as migration 0012 left every tenant table, written out here so that later
# changes of app code cannot rewrite what this migration did.
_RLS_POLICY = "tenant_isolation"
_TENANT = "tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::integer"


def _enable_rls(table):
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
    op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
    op.execute(f"DROP POLICY IF EXISTS {_RLS_POLICY} ON {table}")
    op.execute(f"CREATE POLICY {_RLS_POLICY} ON {table} USING ({_TENANT}) WITH CHECK ({_TENANT})")


def upgrade():
    op.create_table('certificate_signing_keys',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('purpose', sa.String(length=20), nullable=False),
    sa.Column('kid', sa.String(length=80), nullable=False),
    sa.Column('algorithm', sa.String(length=20), nullable=False),
    sa.Column('public_key_pem', sa.Text(), nullable=False),
    sa.Column('certificate_pem', sa.Text(), nullable=True),
    sa.Column('private_key_encrypted', sa.LargeBinary(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('retired_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_certificate_signing_keys_tenant_id_tenants')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_certificate_signing_keys')),
    sa.UniqueConstraint('tenant_id', 'kid', name=op.f('uq_certificate_signing_keys_tenant_id_kid'))
    )
    with op.batch_alter_table('certificate_signing_keys', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_certificate_signing_keys_tenant_id'), ['tenant_id'], unique=False)
        batch_op.create_index('uq_certificate_signing_keys_active', ['tenant_id', 'purpose'], unique=True, postgresql_where=sa.text('retired_at IS NULL'), sqlite_where=sa.text('retired_at IS NULL'))

    op.create_table('certificates',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('serial', sa.String(length=20), nullable=False),
    sa.Column('record_id', sa.Integer(), nullable=False),
    sa.Column('cycle', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('certification_id', sa.Integer(), nullable=False),
    sa.Column('holder_name', sa.String(length=200), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('awarded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('expiring_since', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revocation_reason', sa.Text(), nullable=True),
    sa.Column('pdf_sha256', sa.String(length=64), nullable=True),
    sa.Column('pdf_key', sa.String(length=200), nullable=True),
    sa.Column('pdf_kid', sa.String(length=80), nullable=True),
    sa.Column('badge', sa.JSON(), nullable=True),
    sa.Column('status_index', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('issued_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_certificates_tenant_id_tenants')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_certificates_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_certificates')),
    sa.UniqueConstraint('tenant_id', 'record_id', 'cycle', name=op.f('uq_certificates_tenant_id_record_id_cycle')),
    sa.UniqueConstraint('tenant_id', 'serial', name=op.f('uq_certificates_tenant_id_serial')),
    sa.UniqueConstraint('tenant_id', 'status_index', name=op.f('uq_certificates_tenant_id_status_index'))
    )
    with op.batch_alter_table('certificates', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_certificates_tenant_id'), ['tenant_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_certificates_record_id'), ['record_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_certificates_user_id'), ['user_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_certificates_pdf_sha256'), ['pdf_sha256'], unique=False)

    for table in SCOPED_TABLES:
        _enable_rls(table)


def downgrade():
    op.drop_table('certificates')
    op.drop_table('certificate_signing_keys')
