"""organisations: an optional English name, shown to readers of the English interface

Revision ID: 5e7a1c2b9d40
Revises: 77217ab5befa
Create Date: 2026-12-02 10:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5e7a1c2b9d40'
down_revision = '77217ab5befa'
branch_labels = None
depends_on = None


def upgrade():
    # The server default fills the existing rows (NOT NULL); it is dropped afterwards so the
    # table matches the model, whose default is applied by the application.
    with op.batch_alter_table('organisations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('name_en', sa.String(length=200), nullable=False, server_default=''))
    with op.batch_alter_table('organisations', schema=None) as batch_op:
        batch_op.alter_column('name_en', server_default=None)


def downgrade():
    with op.batch_alter_table('organisations', schema=None) as batch_op:
        batch_op.drop_column('name_en')
