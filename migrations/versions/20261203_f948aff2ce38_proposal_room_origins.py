"""proposal room origins: a proposal made on paper in a workshop's room keeps where it was made

Revision ID: f948aff2ce38
Revises: 5c1e7d2a9b40
Create Date: 2026-12-03 09:00:00

One row per proposal a facilitator typed in from the room: the workshop, the facilitator, the
day it was made there and, when it was first noted on the room page, that note (once only).
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'f948aff2ce38'
down_revision = '5c1e7d2a9b40'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('proposal_room_origins',
    sa.Column('proposal_id', sa.Integer(), nullable=False),
    sa.Column('workshop_id', sa.Integer(), nullable=False),
    sa.Column('facilitator_id', sa.Integer(), nullable=True),
    sa.Column('made_on', sa.Date(), nullable=False),
    sa.Column('room_record_id', sa.Integer(), nullable=True),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['facilitator_id'], ['users.id'], name=op.f('fk_proposal_room_origins_facilitator_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['proposal_id'], ['proposals.id'], name=op.f('fk_proposal_room_origins_proposal_id_proposals'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['room_record_id'], ['room_records.id'], name=op.f('fk_proposal_room_origins_room_record_id_room_records'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['workshop_id'], ['workshops.id'], name=op.f('fk_proposal_room_origins_workshop_id_workshops'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('proposal_id', name=op.f('pk_proposal_room_origins')),
    sa.UniqueConstraint('room_record_id', name=op.f('uq_proposal_room_origins_room_record_id'))
    )
    with op.batch_alter_table('proposal_room_origins', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_proposal_room_origins_workshop_id'), ['workshop_id'], unique=False)


def downgrade():
    with op.batch_alter_table('proposal_room_origins', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_proposal_room_origins_workshop_id'))
    op.drop_table('proposal_room_origins')
