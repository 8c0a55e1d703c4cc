"""dispute moments and evaluation replies

Revision ID: b8d4f2a6c915
Revises: e5b2a9d4c713
Create Date: 2026-12-18 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

from db.migrations.frozen import UTCDateTime

revision: str = 'b8d4f2a6c915'
down_revision: str | None = 'e5b2a9d4c713'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Disputes opened before cite no moments.
    with op.batch_alter_table('dispute', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('moments', sa.JSON(), server_default=sa.text("'[]'"), nullable=False)
        )

    op.create_table('evaluation_reply',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('evaluation_id', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=False),
    sa.Column('text', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
    sa.Column('created_at', UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['user.id'], ),
    sa.ForeignKeyConstraint(['evaluation_id'], ['evaluation.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('evaluation_reply', schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f('ix_evaluation_reply_evaluation_id'), ['evaluation_id'], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table('evaluation_reply', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_evaluation_reply_evaluation_id'))
    op.drop_table('evaluation_reply')
    with op.batch_alter_table('dispute', schema=None) as batch_op:
        batch_op.drop_column('moments')
