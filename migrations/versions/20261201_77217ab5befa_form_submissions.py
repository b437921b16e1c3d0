"""form submissions: a form sent twice acts once

Revision ID: 77217ab5befa
Revises: 18290edb2d13
Create Date: 2026-11-30 13:02:47.270333

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '77217ab5befa'
down_revision = '18290edb2d13'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('form_submissions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('submission_key', sa.String(length=43), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_form_submissions')),
    sa.UniqueConstraint('submission_key', name=op.f('uq_form_submissions_submission_key'))
    )


def downgrade():
    op.drop_table('form_submissions')
