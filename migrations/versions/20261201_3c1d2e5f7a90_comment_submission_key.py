"""comment submission key: a comment form sent twice publishes one comment

Revision ID: 3c1d2e5f7a90
Revises: 18290edb2d13
Create Date: 2026-12-01 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '3c1d2e5f7a90'
down_revision = '18290edb2d13'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('comments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('submission_key', sa.String(length=43), nullable=True))
        batch_op.create_unique_constraint('one_comment_per_submission', ['proposal_id', 'submission_key'])


def downgrade():
    with op.batch_alter_table('comments', schema=None) as batch_op:
        batch_op.drop_constraint('one_comment_per_submission', type_='unique')
        batch_op.drop_column('submission_key')
