"""mail queue, digests and notification preferences

Revision ID: a7c3e91d5b20
Revises: 3b7d0e5a1c92
Create Date: 2026-12-04 09:00:00

The outbox becomes the queue of outgoing email (state, attempts, next attempt, error, headers);
each person's email choice per category of notification; one row per digest sent (unique per
person, frequency and period, so a digest is never sent twice); each notification remembers
how it was to be emailed, the digest that carried it and what it is about (for grouping).
Existing notifications were all emailed at once, and existing outbox rows were only kept.
"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = 'a7c3e91d5b20'
down_revision = '3b7d0e5a1c92'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('email_digests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('frequency', sa.String(length=10), nullable=False),
    sa.Column('period_start', sa.Date(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('item_count', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_email_digests_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_email_digests')),
    sa.UniqueConstraint('user_id', 'frequency', 'period_start', name=op.f('uq_email_digests_user_id_frequency_period_start'))
    )
    with op.batch_alter_table('email_digests', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_email_digests_user_id'), ['user_id'], unique=False)

    op.create_table('notification_preferences',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('category', sa.String(length=20), nullable=False),
    sa.Column('frequency', sa.String(length=10), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_notification_preferences_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notification_preferences')),
    sa.UniqueConstraint('user_id', 'category', name=op.f('uq_notification_preferences_user_id_category'))
    )
    with op.batch_alter_table('notification_preferences', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_notification_preferences_user_id'), ['user_id'], unique=False)

    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.add_column(sa.Column('email', sa.String(length=10), nullable=False, server_default='immediate'))
        batch_op.add_column(sa.Column('digest_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('topic_key', sa.String(length=60), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('topic_json', sa.Text(), nullable=False, server_default=''))
        batch_op.create_index(batch_op.f('ix_notifications_digest_id'), ['digest_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_notifications_digest_id_email_digests'), 'email_digests', ['digest_id'], ['id'], ondelete='SET NULL')

    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('kind', sa.String(length=80), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('state', sa.String(length=12), nullable=False, server_default='kept'))
        batch_op.add_column(sa.Column('attempts', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('last_error', sa.Text(), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('message_id', sa.String(length=255), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('headers_json', sa.Text(), nullable=False, server_default='{}'))
        batch_op.add_column(sa.Column('attachments_json', sa.Text(), nullable=False, server_default='[]'))
        batch_op.create_index(batch_op.f('ix_outbox_messages_next_attempt_at'), ['next_attempt_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_outbox_messages_state'), ['state'], unique=False)



def downgrade():
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outbox_messages_state'))
        batch_op.drop_index(batch_op.f('ix_outbox_messages_next_attempt_at'))
        batch_op.drop_column('attachments_json')
        batch_op.drop_column('headers_json')
        batch_op.drop_column('message_id')
        batch_op.drop_column('last_error')
        batch_op.drop_column('sent_at')
        batch_op.drop_column('next_attempt_at')
        batch_op.drop_column('attempts')
        batch_op.drop_column('state')
        batch_op.drop_column('kind')

    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_notifications_digest_id_email_digests'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_notifications_digest_id'))
        batch_op.drop_column('topic_json')
        batch_op.drop_column('topic_key')
        batch_op.drop_column('digest_id')
        batch_op.drop_column('email')

    with op.batch_alter_table('notification_preferences', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_notification_preferences_user_id'))

    op.drop_table('notification_preferences')
    with op.batch_alter_table('email_digests', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_email_digests_user_id'))

    op.drop_table('email_digests')
