"""vote results: the results of a closed vote, computed once (tally and per-language views)

Rounds closed before this revision get their row from the periodic task
(`voting.results.store_missing_results`): the views need the translations, which a
migration does not load.

Revision ID: 5e2b9c4d7f31
Revises: 139e0d033002
Create Date: 2026-12-06 09:00:00
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '5e2b9c4d7f31'
down_revision = '139e0d033002'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('vote_results',
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('method', sa.String(length=30), nullable=False),
    sa.Column('ledger_head', sa.String(length=64), nullable=False),
    sa.Column('computed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('tally', sa.Text(), nullable=False),
    sa.Column('views', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['round_id'], ['voting_rounds.id'], name=op.f('fk_vote_results_round_id_voting_rounds'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('round_id', name=op.f('pk_vote_results'))
    )


def downgrade():
    op.drop_table('vote_results')
