"""reminders and moderation: what reminders were sent, reports decided, proposals hidden

Revision ID: 3b7d0e5a1c92
Revises: f948aff2ce38
Create Date: 2026-12-04 09:00:00

`sent_reminders` records each reminder per kind, subject, organisation and due time (never twice
for one deadline); reports keep the moderators' decision and reason; a proposal may be hidden
with a reason; a voting round remembers the facilitators' last reminder (at most every 12 h).
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '3b7d0e5a1c92'
down_revision = 'f948aff2ce38'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('sent_reminders',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=30), nullable=False),
    sa.Column('subject_id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_sent_reminders_organisation_id_organisations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sent_reminders')),
    sa.UniqueConstraint('kind', 'subject_id', 'organisation_id', 'due_at', name='one_reminder_per_due_time')
    )
    with op.batch_alter_table('sent_reminders', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sent_reminders_organisation_id'), ['organisation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_sent_reminders_subject_id'), ['subject_id'], unique=False)

    with op.batch_alter_table('proposals', schema=None) as batch_op:
        batch_op.add_column(sa.Column('hidden_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('hidden_reason', sa.Text(), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('hidden_by_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_proposals_hidden_by_id_users'), 'users', ['hidden_by_id'], ['id'], ondelete='SET NULL')

    with op.batch_alter_table('reports', schema=None) as batch_op:
        batch_op.add_column(sa.Column('decision', sa.String(length=10), nullable=True))
        batch_op.add_column(sa.Column('decision_reason', sa.Text(), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('resolved_by_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_reports_resolved_at'), ['resolved_at'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_reports_resolved_by_id_users'), 'users', ['resolved_by_id'], ['id'], ondelete='SET NULL')
        batch_op.create_check_constraint(batch_op.f('ck_reports_known_decision'),
                                         "decision IS NULL OR decision IN ('hide', 'keep')")

    with op.batch_alter_table('voting_rounds', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reminded_at', sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table('voting_rounds', schema=None) as batch_op:
        batch_op.drop_column('reminded_at')

    with op.batch_alter_table('reports', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_reports_known_decision'), type_='check')
        batch_op.drop_constraint(batch_op.f('fk_reports_resolved_by_id_users'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_reports_resolved_at'))
        batch_op.drop_column('resolved_by_id')
        batch_op.drop_column('decision_reason')
        batch_op.drop_column('decision')

    with op.batch_alter_table('proposals', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_proposals_hidden_by_id_users'), type_='foreignkey')
        batch_op.drop_column('hidden_by_id')
        batch_op.drop_column('hidden_reason')
        batch_op.drop_column('hidden_at')

    with op.batch_alter_table('sent_reminders', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sent_reminders_subject_id'))
        batch_op.drop_index(batch_op.f('ix_sent_reminders_organisation_id'))

    op.drop_table('sent_reminders')
