"""remove untouched drafts

Opening a call used to create an empty draft at once, so browsing calls left drafts
nobody wrote in (issue 14, bug 1). Drafts are now created by their first score, note or
comment; this removes the empty ones already stored: never saved since they were
created (row version 1), with no level, note or comment. Drafts with any of these, and
every submitted evaluation, are kept. Data only: the schema does not change.

Revision ID: d3f7a1c8e240
Revises: b8d4f2a6c915
Create Date: 2026-12-19 10:00:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "d3f7a1c8e240"
down_revision: str | None = "b8d4f2a6c915"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UNTOUCHED = """
    SELECT e.id FROM evaluation e
    WHERE e.status = 'draft' AND e.row_version = 1
      AND NOT EXISTS (
        SELECT 1 FROM item_score i
        WHERE i.evaluation_id = e.id AND (i.value IS NOT NULL OR i.note <> '')
      )
      AND NOT EXISTS (SELECT 1 FROM comment c WHERE c.evaluation_id = e.id)
"""


def upgrade() -> None:
    # The ids first: deleting item rows would make the drafts look untouched no longer.
    op.execute(f"CREATE TEMPORARY TABLE untouched_draft AS {UNTOUCHED}")
    gone = "SELECT id FROM untouched_draft"
    op.execute(f"UPDATE assignment SET evaluation_id = NULL WHERE evaluation_id IN ({gone})")
    for table in ("evaluation_suggestion", "item_score"):
        op.execute(f"DELETE FROM {table} WHERE evaluation_id IN ({gone})")
    op.execute(f"DELETE FROM evaluation WHERE id IN ({gone})")
    op.execute("DROP TABLE untouched_draft")


def downgrade() -> None:
    pass  # empty drafts are not brought back: nothing was in them
