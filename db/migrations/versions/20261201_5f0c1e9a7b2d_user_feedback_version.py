"""user feedback version

Revision ID: 5f0c1e9a7b2d
Revises: 778ee0cd0d43
Create Date: 2026-12-01 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '5f0c1e9a7b2d'
down_revision: str | None = '778ee0cd0d43'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Existing agents start at 0: every cached feedback answer is keyed on it from now on.
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('feedback_version', sa.Integer(), server_default=sa.text('0'), nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.drop_column('feedback_version')
