"""results pages: the public ballots of a closed vote listed in the results page's order

A closed public vote's ballots get their positions in the results page's order
(`listed_ballots`), and its results row the number of ballots listed. Rows stored before this
revision have NULL there: the periodic task (`voting.results.store_missing_results`) stores
them again (with the views' new parts: participation, the first rows' chart), as it stores
rounds without a row.

Revision ID: 8c41f0a6d2e9
Revises: 5e2b9c4d7f31
Create Date: 2026-12-07 09:00:00
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '8c41f0a6d2e9'
down_revision = '5e2b9c4d7f31'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('listed_ballots',
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('ballot_id', sa.BigInteger(), nullable=False),
    # No foreign key to ballots: see ListedBallot (the close would wait on a racing ballot).
    sa.ForeignKeyConstraint(['round_id'], ['voting_rounds.id'], name=op.f('fk_listed_ballots_round_id_voting_rounds'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('round_id', 'position', name=op.f('pk_listed_ballots'))
    )
    with op.batch_alter_table('vote_results', schema=None) as batch_op:
        batch_op.add_column(sa.Column('listed_ballots', sa.Integer(), nullable=True))


def downgrade():
    with op.batch_alter_table('vote_results', schema=None) as batch_op:
        batch_op.drop_column('listed_ballots')
    op.drop_table('listed_ballots')
