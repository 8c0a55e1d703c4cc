"""jobs and transcripts

Revision ID: 3b7e9d2c4a61
Revises: 5f0c1e9a7b2d
Create Date: 2026-12-10 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

from db.migrations.frozen import UTCDateTime

revision: str = '3b7e9d2c4a61'
down_revision: str | None = '5f0c1e9a7b2d'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The full-text index as this revision creates it (frozen: never read from db/models.py).
TRANSCRIPT_FTS_SQLITE = (
    "CREATE VIRTUAL TABLE IF NOT EXISTS transcript_utterance_fts USING fts5("
    "text, content='transcript_utterance', content_rowid='id', tokenize='unicode61')",
    "CREATE TRIGGER IF NOT EXISTS transcript_utterance_ai AFTER INSERT ON transcript_utterance "
    "BEGIN INSERT INTO transcript_utterance_fts(rowid, text) VALUES (new.id, new.text); END",
    "CREATE TRIGGER IF NOT EXISTS transcript_utterance_ad AFTER DELETE ON transcript_utterance "
    "BEGIN INSERT INTO transcript_utterance_fts(transcript_utterance_fts, rowid, text) "
    "VALUES ('delete', old.id, old.text); END",
    "CREATE TRIGGER IF NOT EXISTS transcript_utterance_au AFTER UPDATE ON transcript_utterance "
    "BEGIN INSERT INTO transcript_utterance_fts(transcript_utterance_fts, rowid, text) "
    "VALUES ('delete', old.id, old.text); "
    "INSERT INTO transcript_utterance_fts(rowid, text) VALUES (new.id, new.text); END",
)
TRANSCRIPT_FTS_SQLITE_DROP = (
    "DROP TRIGGER IF EXISTS transcript_utterance_au",
    "DROP TRIGGER IF EXISTS transcript_utterance_ad",
    "DROP TRIGGER IF EXISTS transcript_utterance_ai",
    "DROP TABLE IF EXISTS transcript_utterance_fts",
)
# 'simple': no stemming or stop words, as FTS5's unicode61, so both backends find the same.
TRANSCRIPT_FTS_POSTGRES = (
    "CREATE INDEX IF NOT EXISTS ix_utterance_text_fts ON transcript_utterance "
    "USING gin (to_tsvector('simple', text))",
)
TRANSCRIPT_FTS_POSTGRES_DROP = ("DROP INDEX IF EXISTS ix_utterance_text_fts",)


def upgrade() -> None:
    op.create_table('job',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('call_id', sa.Integer(), nullable=True),
    sa.Column('subject', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
    sa.Column('state', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('progress', sa.Float(), nullable=False),
    sa.Column('error', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('requested_by', sa.Integer(), nullable=True),
    sa.Column('created_at', UTCDateTime(), nullable=False),
    sa.Column('started_at', UTCDateTime(), nullable=True),
    sa.Column('finished_at', UTCDateTime(), nullable=True),
    sa.Column('updated_at', UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['call_id'], ['call.id'], ),
    sa.ForeignKeyConstraint(['requested_by'], ['user.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('job', schema=None) as batch_op:
        batch_op.create_index('ix_job_call_kind', ['call_id', 'kind'], unique=False)
        batch_op.create_index(batch_op.f('ix_job_state'), ['state'], unique=False)

    op.create_table('transcript',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('call_id', sa.Integer(), nullable=False),
    sa.Column('source', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
    sa.Column('format', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('utterance_count', sa.Integer(), nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.Column('created_at', UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['call_id'], ['call.id'], ),
    sa.ForeignKeyConstraint(['created_by'], ['user.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('call_id')
    )
    op.create_table('transcript_utterance',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('transcript_id', sa.Integer(), nullable=False),
    sa.Column('call_id', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('speaker', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('label', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
    sa.Column('start_s', sa.Float(), nullable=False),
    sa.Column('end_s', sa.Float(), nullable=False),
    sa.Column('text', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('words', sa.JSON(), nullable=False),
    sa.Column('redactions', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['call_id'], ['call.id'], ),
    sa.ForeignKeyConstraint(['transcript_id'], ['transcript.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('transcript_utterance', schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f('ix_transcript_utterance_call_id'), ['call_id'], unique=False
        )
        batch_op.create_index('ix_utterance_transcript_seq', ['transcript_id', 'seq'], unique=False)
    # Full-text search over utterance text: FTS5 on SQLite, a GIN index on PostgreSQL.
    create = {'sqlite': TRANSCRIPT_FTS_SQLITE, 'postgresql': TRANSCRIPT_FTS_POSTGRES}
    for statement in create.get(op.get_bind().dialect.name, ()):
        op.execute(statement)


def downgrade() -> None:
    drop = {
        'sqlite': TRANSCRIPT_FTS_SQLITE_DROP,
        'postgresql': TRANSCRIPT_FTS_POSTGRES_DROP,
    }.get(op.get_bind().dialect.name, ())
    for statement in drop:
        op.execute(statement)
    with op.batch_alter_table('transcript_utterance', schema=None) as batch_op:
        batch_op.drop_index('ix_utterance_transcript_seq')
        batch_op.drop_index(batch_op.f('ix_transcript_utterance_call_id'))
    op.drop_table('transcript_utterance')
    op.drop_table('transcript')
    with op.batch_alter_table('job', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_job_state'))
        batch_op.drop_index('ix_job_call_kind')
    op.drop_table('job')
