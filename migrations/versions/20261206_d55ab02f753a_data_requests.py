"""data requests: personal data on request, account erasure, organisation erasure

Revision ID: d55ab02f753a
Revises: a7c3e1f0b2d4
Create Date: 2026-12-06 09:00:00
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'd55ab02f753a'
down_revision = 'a7c3e1f0b2d4'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('erased_at', sa.DateTime(timezone=True), nullable=True))
    op.create_table('data_requests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=30), nullable=False),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('organisation_id', sa.Integer(), nullable=True),
    sa.Column('token', sa.String(length=64), nullable=True),
    sa.Column('language', sa.String(length=8), nullable=False),
    sa.Column('progress', sa.Integer(), nullable=False),
    sa.Column('size', sa.Integer(), nullable=True),
    sa.Column('error', sa.String(length=100), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('processed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('processed_by_id', sa.Integer(), nullable=True),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('note', sa.Text(), nullable=False),
    sa.CheckConstraint("kind IN ('export', 'organisation_export', 'account_deletion', 'organisation_erasure')", name=op.f('ck_data_requests_known_kind')),
    sa.CheckConstraint("state IN ('pending', 'running', 'ready', 'failed', 'done', 'refused', 'expired')", name=op.f('ck_data_requests_known_state')),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_data_requests_organisation_id_organisations'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['processed_by_id'], ['users.id'], name=op.f('fk_data_requests_processed_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_data_requests_user_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_data_requests')),
    sa.UniqueConstraint('token', name=op.f('uq_data_requests_token'))
    )
    with op.batch_alter_table('data_requests', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_data_requests_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_data_requests_kind'), ['kind'], unique=False)
        batch_op.create_index(batch_op.f('ix_data_requests_organisation_id'), ['organisation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_data_requests_state'), ['state'], unique=False)
        batch_op.create_index(batch_op.f('ix_data_requests_user_id'), ['user_id'], unique=False)


def downgrade():
    with op.batch_alter_table('data_requests', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_data_requests_user_id'))
        batch_op.drop_index(batch_op.f('ix_data_requests_state'))
        batch_op.drop_index(batch_op.f('ix_data_requests_organisation_id'))
        batch_op.drop_index(batch_op.f('ix_data_requests_kind'))
        batch_op.drop_index(batch_op.f('ix_data_requests_created_at'))
    op.drop_table('data_requests')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('erased_at')
