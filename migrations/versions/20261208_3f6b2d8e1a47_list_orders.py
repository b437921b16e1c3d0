"""list orders: indexes in the orders of the directory and of a consultation's proposals

The directory lists approved organisations, founding members first, then by their folded name;
a consultation's proposals are listed newest first. With these indexes each page of 20 is read
in order instead of sorting (or scanning) every organisation or proposal, so the pages' time no
longer grows with the network (issue 18).

Revision ID: 3f6b2d8e1a47
Revises: 8c41f0a6d2e9
Create Date: 2026-12-08 09:00:00
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '3f6b2d8e1a47'
down_revision = '8c41f0a6d2e9'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('organisations', schema=None) as batch_op:
        batch_op.create_index('ix_organisations_directory_order',
                              ['state', sa.text('is_founding_member DESC'), 'search_name', 'id'], unique=False)
    with op.batch_alter_table('proposals', schema=None) as batch_op:
        batch_op.create_index('ix_proposals_consultation_recent', ['consultation_id', 'published_at', 'id'],
                              unique=False)


def downgrade():
    with op.batch_alter_table('proposals', schema=None) as batch_op:
        batch_op.drop_index('ix_proposals_consultation_recent')
    with op.batch_alter_table('organisations', schema=None) as batch_op:
        batch_op.drop_index('ix_organisations_directory_order')
