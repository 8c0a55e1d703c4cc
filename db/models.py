"""SQLModel tables. Times are timezone-aware UTC; seconds in a recording are floats."""

from __future__ import annotations

from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, Index, Table, UniqueConstraint, event, text
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session as _OrmSession
from sqlalchemy.types import DateTime, TypeDecorator
from sqlmodel import Field, SQLModel


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """Stores UTC; always hands back an aware UTC datetime (SQLite keeps no zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given where a UTC time is required")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def ts_field(nullable: bool = False, index: bool = False, **kw: Any) -> Any:
    return Field(
        default_factory=None if nullable else utcnow,
        sa_column=Column(UTCDateTime(), nullable=nullable, index=index),
        **kw,
    )


class Role(StrEnum):
    admin = "admin"
    supervisor = "supervisor"
    agent = "agent"


class Purpose(StrEnum):
    regular = "regular"
    calibration = "calibration"


class Status(StrEnum):
    draft = "draft"
    submitted = "submitted"


class Team(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(unique=True, max_length=120)
    created_at: datetime = ts_field()


class User(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(unique=True, index=True, max_length=64)
    display_name: str = Field(max_length=120)
    role: str = Field(max_length=16)  # a Role value
    team_id: int | None = Field(default=None, foreign_key="team.id", index=True)
    password_hash: str = Field(max_length=255)
    active: bool = True
    is_demo: bool = False
    failed_logins: int = 0
    session_epoch: int = 0  # bumped on logout/deactivation: every remembered login ends
    locked_until: datetime | None = ts_field(nullable=True)
    created_at: datetime = ts_field()
    # An agent's; bumped by every write that changes their feedback (a read mark, an
    # acknowledgement, a dispute opened or decided) but not the data version, so cached
    # "My feedback" answers are reused exactly while they are true. Last, as migrated.
    feedback_version: int = Field(default=0, sa_column_kwargs={"server_default": text("0")})
    # Single sign-on: the address notifications go to and first SSO sign-ins link by (set by
    # an admin, or from the provider's VERIFIED email), and the provider's "issuer|subject"
    # of the account once linked. Both empty for local-only accounts.
    email: str | None = Field(default=None, max_length=254, unique=True)
    sso_subject: str | None = Field(default=None, max_length=255, unique=True)
    # Set when an admin gives the user a temporary password: nothing else opens until
    # they choose their own.
    must_change_password: bool = Field(
        default=False, sa_column_kwargs={"server_default": text("false")}
    )
    # The IANA time zone the user reads dates in (Account page); None: their browser's.
    time_zone: str | None = Field(default=None, max_length=64)


class Rubric(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("key", "version"),)
    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=64, index=True)
    version: int
    title: str = Field(max_length=200)
    definition: dict = Field(sa_column=Column(JSON, nullable=False))
    content_hash: str = Field(max_length=64)
    created_at: datetime = ts_field()


class Call(SQLModel, table=True):
    __table_args__ = (Index("ix_call_agent_started", "agent_id", "started_at"),)
    id: int | None = Field(default=None, primary_key=True)
    external_id: str = Field(unique=True, max_length=120)
    agent_id: int = Field(foreign_key="user.id")
    started_at: datetime = ts_field(index=True)
    duration_s: float
    audio_path: str = Field(max_length=255)  # relative to the media folder
    audio_sha256: str = Field(max_length=64, index=True)
    audio_format: str = Field(max_length=16)
    sample_rate: int
    channels: int
    agent_channel: int = 0
    meta: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    created_at: datetime = ts_field()


class ListeningReportRow(SQLModel, table=True):
    __tablename__ = "listening_report"
    call_id: int = Field(foreign_key="call.id", primary_key=True)
    report: dict = Field(sa_column=Column(JSON, nullable=False))
    # Per-channel peak envelope for the player's waveform, computed with the report so a
    # recording is decoded once, at import, not on every page run.
    peaks: list | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    talk_share: float | None = None
    interruptions: int | None = None
    backchannels: int | None = None
    long_silences: int | None = None
    longest_agent_turn: float | None = None
    response_gap_median: float | None = None
    overtalk: float | None = None
    error: str | None = Field(default=None, max_length=500)
    computed_at: datetime = ts_field()


class Evaluation(SQLModel, table=True):
    __table_args__ = (
        Index(
            "ix_eval_agent_purpose_status_submitted",
            "agent_id",
            "purpose",
            "status",
            "submitted_at",
        ),
        Index("ix_eval_scorer_call", "scorer_id", "call_id"),
        # Date-range trends over every team cannot use the agent-first index.
        Index("ix_eval_purpose_status_submitted", "purpose", "status", "submitted_at"),
    )
    id: int | None = Field(default=None, primary_key=True)
    call_id: int = Field(foreign_key="call.id", index=True)
    agent_id: int = Field(foreign_key="user.id")  # copied from the call: trends group by it
    scorer_id: int = Field(foreign_key="user.id")
    rubric_id: int = Field(foreign_key="rubric.id")
    purpose: str = Field(default=Purpose.regular, max_length=16)
    calibration_session_id: int | None = Field(
        default=None, foreign_key="calibration_session.id", index=True
    )
    status: str = Field(default=Status.draft, max_length=16)
    total: float | None = None
    failed_critical: bool = False
    review_seconds: int = 0
    row_version: int = 1  # optimistic lock: every save must name the version it read
    started_at: datetime = ts_field()
    updated_at: datetime = ts_field()
    submitted_at: datetime | None = ts_field(nullable=True)


class ItemScore(SQLModel, table=True):
    __tablename__ = "item_score"
    __table_args__ = (UniqueConstraint("evaluation_id", "item_key"),)
    id: int | None = Field(default=None, primary_key=True)
    evaluation_id: int = Field(foreign_key="evaluation.id", index=True)
    item_key: str = Field(max_length=64)
    value: int | None = None  # NULL with na=True is N/A; NULL with na=False is unanswered
    na: bool = False
    note: str = Field(default="", max_length=5000)


class Comment(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    evaluation_id: int = Field(foreign_key="evaluation.id", index=True)
    author_id: int = Field(foreign_key="user.id")
    t_s: float
    item_key: str | None = Field(default=None, max_length=64)
    text: str = Field(max_length=5000)
    created_at: datetime = ts_field()
    updated_at: datetime = ts_field()


class AuditEvent(SQLModel, table=True):
    __tablename__ = "audit_event"
    id: int | None = Field(default=None, primary_key=True)
    actor_id: int | None = Field(default=None, foreign_key="user.id")
    action: str = Field(max_length=64)
    entity: str = Field(max_length=64)
    entity_id: int | None = None
    before: dict | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    after: dict | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    reason: str = Field(default="", max_length=2000)
    at: datetime = ts_field(index=True)


class CalibrationSession(SQLModel, table=True):
    __tablename__ = "calibration_session"
    id: int | None = Field(default=None, primary_key=True)
    title: str = Field(max_length=200)
    facilitator_id: int = Field(foreign_key="user.id")
    rubric_id: int = Field(foreign_key="rubric.id")
    benchmark_scorer_id: int | None = Field(default=None, foreign_key="user.id")
    due_at: datetime | None = ts_field(nullable=True)
    revealed: bool = False
    revealed_at: datetime | None = ts_field(nullable=True)
    created_at: datetime = ts_field()


class CalibrationCall(SQLModel, table=True):
    __tablename__ = "calibration_call"
    session_id: int = Field(foreign_key="calibration_session.id", primary_key=True)
    call_id: int = Field(foreign_key="call.id", primary_key=True)


class CalibrationSeat(SQLModel, table=True):
    __tablename__ = "calibration_seat"
    session_id: int = Field(foreign_key="calibration_session.id", primary_key=True)
    scorer_id: int = Field(foreign_key="user.id", primary_key=True)


class ConsensusScore(SQLModel, table=True):
    __tablename__ = "consensus_score"
    session_id: int = Field(foreign_key="calibration_session.id", primary_key=True)
    call_id: int = Field(foreign_key="call.id", primary_key=True)
    item_key: str = Field(max_length=64, primary_key=True)
    value: int | None = None
    na: bool = False
    note: str = Field(default="", max_length=2000)
    recorded_by: int = Field(foreign_key="user.id")
    recorded_at: datetime = ts_field()


class Acknowledgement(SQLModel, table=True):
    evaluation_id: int = Field(foreign_key="evaluation.id", primary_key=True)
    agent_id: int = Field(foreign_key="user.id")
    at: datetime = ts_field()


class EvaluationView(SQLModel, table=True):
    """When the agent first opened a submitted evaluation (drives the 'unread' mark)."""

    __tablename__ = "evaluation_view"
    evaluation_id: int = Field(foreign_key="evaluation.id", primary_key=True)
    agent_id: int = Field(foreign_key="user.id")
    at: datetime = ts_field()


class Dispute(SQLModel, table=True):
    __table_args__ = (
        # One open dispute per item, even when two tabs race to open it.
        Index(
            "ux_dispute_open_item",
            "evaluation_id",
            "item_key",
            unique=True,
            sqlite_where=text("status = 'open'"),
            postgresql_where=text("status = 'open'"),
        ),
    )
    id: int | None = Field(default=None, primary_key=True)
    evaluation_id: int = Field(foreign_key="evaluation.id", index=True)
    item_key: str = Field(max_length=64)
    agent_id: int = Field(foreign_key="user.id")
    reason: str = Field(max_length=2000)
    status: str = Field(default="open", max_length=16)  # open|accepted|partly_accepted|rejected
    resolution: str = Field(default="", max_length=2000)
    resolver_id: int | None = Field(default=None, foreign_key="user.id")
    created_at: datetime = ts_field()
    resolved_at: datetime | None = ts_field(nullable=True)
    # The moments of the call the agent cites, in seconds from its start (sorted).
    moments: list[float] = Field(
        default_factory=list,
        sa_column=Column(JSON, nullable=False, server_default=text("'[]'")),
    )


class EvaluationReply(SQLModel, table=True):
    """One message of the short thread on a submitted regular evaluation between its agent
    and its scorer (the team's supervisors and admins may join): db/services/replies.py."""

    __tablename__ = "evaluation_reply"
    id: int | None = Field(default=None, primary_key=True)
    evaluation_id: int = Field(foreign_key="evaluation.id", index=True)
    author_id: int = Field(foreign_key="user.id")
    text: str = Field(max_length=2000)
    created_at: datetime = ts_field()


class DataVersion(SQLModel, table=True):
    """One counter, bumped in the same transaction as any change that moves a trend
    (a submitted or amended evaluation, a listening report, a user's team or role), so
    every app process knows when its cached aggregates are stale."""

    __tablename__ = "data_version"
    id: int = Field(default=1, primary_key=True)
    version: int = 0


@event.listens_for(DataVersion.__table__, "after_create")
def _first_data_version(target, connection, **_kw) -> None:
    # The one row exists from the start, so bumping it is a plain UPDATE, race-free.
    connection.execute(target.insert().values(id=1, version=0))


class JobState(StrEnum):
    queued = "queued"
    running = "running"
    done = "done"
    failed = "failed"


class Job(SQLModel, table=True):
    """One background job (listening analysis, speech recognition, ...). The row is the
    truth about a job; the queue (huey) only carries its id to a worker."""

    __table_args__ = (Index("ix_job_call_kind", "call_id", "kind"),)
    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=32)
    call_id: int | None = Field(default=None, foreign_key="call.id")
    subject: str = Field(default="", max_length=255)  # what a job without a call is about
    state: str = Field(default=JobState.queued, max_length=16, index=True)  # a JobState
    progress: float = 0.0  # 0..1
    error: str | None = Field(default=None, max_length=2000)
    attempts: int = 0
    requested_by: int | None = Field(default=None, foreign_key="user.id")
    created_at: datetime = ts_field()
    started_at: datetime | None = ts_field(nullable=True)
    finished_at: datetime | None = ts_field(nullable=True)
    updated_at: datetime = ts_field()


class TranscriptRow(SQLModel, table=True):
    """A call's current transcript. Replaced only by an explicit re-import or
    re-recognition; the replaced one is kept whole in an audit event."""

    __tablename__ = "transcript"
    id: int | None = Field(default=None, primary_key=True)
    call_id: int = Field(foreign_key="call.id", unique=True)
    # "import:<format>:<file name>" or "asr:<engine>:<model>"
    source: str = Field(max_length=255)
    format: str = Field(max_length=32)
    utterance_count: int = 0
    created_by: int | None = Field(default=None, foreign_key="user.id")
    created_at: datetime = ts_field()


class TranscriptUtterance(SQLModel, table=True):
    """One utterance; `text` is indexed for full-text search (SQLite FTS5 table
    `transcript_utterance_fts` / PostgreSQL GIN index on to_tsvector('simple', text))."""

    __tablename__ = "transcript_utterance"
    __table_args__ = (Index("ix_utterance_transcript_seq", "transcript_id", "seq"),)
    id: int | None = Field(default=None, primary_key=True)
    transcript_id: int = Field(foreign_key="transcript.id")
    call_id: int = Field(foreign_key="call.id", index=True)  # copied: search filters by call
    seq: int
    speaker: str = Field(max_length=16)  # agent | customer | unknown
    label: str = Field(default="", max_length=120)
    start_s: float
    end_s: float
    text: str
    # [[text, start_s, end_s], ...]; redactions: [[start_s, end_s], ...] or source spans
    words: list = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    redactions: list = Field(default_factory=list, sa_column=Column(JSON, nullable=False))


# Full-text search over utterance text, created wherever the table is (create_all in tests,
# the migration elsewhere). SQLite: an external-content FTS5 table kept in step by triggers.
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


def transcript_fts_ddl(dialect: str) -> tuple[str, ...]:
    return {"sqlite": TRANSCRIPT_FTS_SQLITE, "postgresql": TRANSCRIPT_FTS_POSTGRES}.get(dialect, ())


@event.listens_for(TranscriptUtterance.__table__, "after_create")
def _transcript_fts(target: Table, connection: Connection, **_kw: Any) -> None:
    for statement in transcript_fts_ddl(connection.dialect.name):
        connection.exec_driver_sql(statement)


@event.listens_for(TranscriptUtterance.__table__, "before_drop")
def _drop_transcript_fts(target: Table, connection: Connection, **_kw: Any) -> None:
    drop = {
        "sqlite": TRANSCRIPT_FTS_SQLITE_DROP,
        "postgresql": TRANSCRIPT_FTS_POSTGRES_DROP,
    }.get(connection.dialect.name, ())
    for statement in drop:
        connection.exec_driver_sql(statement)


def managed_by_models(name: str | None, type_: str, parent_names: object) -> bool:
    """Alembic's include_name: the search index objects above live outside the models
    (FTS5 virtual and shadow tables, an expression index), so comparisons skip them."""
    return not (name or "").startswith(("transcript_utterance_fts", "ix_utterance_text_fts"))


class AssignmentStatus(StrEnum):
    open = "open"
    done = "done"
    replaced = "replaced"
    handed_over = "handed_over"


# Assignments that still hold their call for their plan: open or done. A replaced or
# handed-over row is history (the call is still never drawn again by that plan).
ACTIVE_ASSIGNMENT = "status IN ('open', 'done')"


class SamplingPlanRow(SQLModel, table=True):
    """A sampling plan as a manager saved it: ``definition`` is the pure plan serialised
    (``scoring.sampling.plan_to_dict``). ``team_id``: the team of the supervisor who owns
    it (None: an admin's plan over any teams). ``run_count`` is bumped at the start of every
    run: the row lock that makes two runs of one plan take turns."""

    __tablename__ = "sampling_plan"
    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(unique=True, max_length=64)
    title: str = Field(max_length=200)
    definition: dict = Field(sa_column=Column(JSON, nullable=False))
    team_id: int | None = Field(default=None, foreign_key="team.id", index=True)
    created_by: int = Field(foreign_key="user.id")
    active: bool = True
    seed: int = Field(sa_column=Column(BigInteger, nullable=False))
    run_count: int = 0
    created_at: datetime = ts_field()
    updated_at: datetime = ts_field()


class SamplingRun(SQLModel, table=True):
    """One run of a plan for one period: the seed that reproduces it and what it made."""

    __tablename__ = "sampling_run"
    __table_args__ = (Index("ix_sampling_run_plan_period", "plan_id", "period_start"),)
    id: int | None = Field(default=None, primary_key=True)
    plan_id: int = Field(foreign_key="sampling_plan.id")
    period_start: date
    period_end: date  # exclusive
    seed: int = Field(sa_column=Column(BigInteger, nullable=False))
    as_of: datetime | None = ts_field(nullable=True)  # a run during the period
    created: int = 0  # assignments inserted
    skipped: int = 0  # drawn but already there (a concurrent run got them first)
    shortfalls: list = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    requested_by: int | None = Field(default=None, foreign_key="user.id")
    ran_at: datetime = ts_field()


class AssignmentRow(SQLModel, table=True):
    """A call to be reviewed by a scorer by ``due_at``; ``reason`` "random", a trigger's
    label, or "ad hoc" (``ad_hoc``: a review nobody assigned, recorded when submitted).
    ``replaced_by``: the substitute drawn, or the new row of a hand-over."""

    __tablename__ = "assignment"
    __table_args__ = (
        # One active assignment per plan and call: a second run, or two at once, cannot
        # create a duplicate (the insert is ON CONFLICT DO NOTHING).
        Index(
            "ux_assignment_plan_call_active",
            "plan_id",
            "call_id",
            unique=True,
            sqlite_where=text(ACTIVE_ASSIGNMENT),
            postgresql_where=text(ACTIVE_ASSIGNMENT),
        ),
        Index("ix_assignment_scorer_status_due", "scorer_id", "status", "due_at"),
        Index("ix_assignment_plan_period", "plan_id", "period_start"),
        Index("ix_assignment_call", "call_id"),
    )
    id: int | None = Field(default=None, primary_key=True)
    plan_id: int | None = Field(default=None, foreign_key="sampling_plan.id")
    run_id: int | None = Field(default=None, foreign_key="sampling_run.id")
    period_start: date | None = None
    call_id: int = Field(foreign_key="call.id")
    agent_id: int = Field(foreign_key="user.id")
    scorer_id: int = Field(foreign_key="user.id")
    due_at: datetime | None = ts_field(nullable=True)
    reason: str = Field(max_length=120)
    status: str = Field(default=AssignmentStatus.open, max_length=16)
    replaced_by: int | None = Field(default=None, foreign_key="assignment.id")
    note: str = Field(default="", max_length=2000)  # why it was replaced or handed over
    evaluation_id: int | None = Field(default=None, foreign_key="evaluation.id")
    ad_hoc: bool = False
    created_at: datetime = ts_field()
    closed_at: datetime | None = ts_field(nullable=True)


class TextEvidenceRow(SQLModel, table=True):
    """Text evidence of a call's transcript (``scoring.text_evidence``), stored whole in
    ``evidence`` (``TextEvidence.to_dict()``) with the headline counts as columns for trends.
    ``rules_version``: the RULES_VERSION that made it (older ones are recomputed);
    ``transcript_id``: the transcript it was read from (a replaced transcript recomputes)."""

    __tablename__ = "text_evidence"
    call_id: int = Field(foreign_key="call.id", primary_key=True)
    # No foreign key: a replaced transcript's row is deleted; a mismatch means "recompute".
    transcript_id: int | None = None
    rules_version: int = Field(index=True)
    phrases_fingerprint: str = Field(default="", max_length=64)
    evidence: dict = Field(sa_column=Column(JSON, nullable=False))
    paraphrases: int = 0
    questions: int = 0
    open_questions: int = 0
    closed_questions: int = 0
    open_question_share: float | None = None
    questions_before_fix: int = 0
    defensive: int = 0
    completions: int = 0
    repeats: int = 0
    empathy: int = 0
    computed_at: datetime = ts_field()


class SuggestionModelRow(SQLModel, table=True):
    """A fitted suggestion model (``scoring.suggestions.SuggestionModel.to_dict()``) for a
    rubric key; the newest row is the one in use. ``n_evaluations``: submitted regular
    evaluations it was fitted on; ``through_evaluation_id``: the newest of them."""

    __tablename__ = "suggestion_model"
    id: int | None = Field(default=None, primary_key=True)
    rubric_key: str = Field(max_length=64, index=True)
    model: dict = Field(sa_column=Column(JSON, nullable=False))
    n_evaluations: int = 0
    through_evaluation_id: int | None = None
    fitted_at: datetime = ts_field()


class EvaluationSuggestion(SQLModel, table=True):
    """A suggested level for one item of one evaluation, as computed when its scorer opened
    it. ``shown``: the scorer saw it (False: computed but withheld, e.g. an item whose
    suggestions are measured unreliable, kept so its agreement can still be measured);
    ``taken``: the scorer took it with one click (recorded with the save)."""

    __tablename__ = "evaluation_suggestion"
    __table_args__ = (UniqueConstraint("evaluation_id", "item_key"),)
    id: int | None = Field(default=None, primary_key=True)
    evaluation_id: int = Field(foreign_key="evaluation.id", index=True)
    item_key: str = Field(max_length=64)
    level: int
    confidence: float
    reasons: list = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    model_id: int | None = Field(default=None, foreign_key="suggestion_model.id")
    shown: bool = True
    taken: bool = False
    created_at: datetime = ts_field()
    taken_at: datetime | None = ts_field(nullable=True)


class ApiToken(SQLModel, table=True):
    """A personal access token for the export API (db/services/tokens.py). Only the SHA-256 of the
    token is kept (it is 256 random bits, so a fast hash suffices); ``hint`` is its first
    characters, to tell tokens apart in a list."""

    __tablename__ = "api_token"
    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    name: str = Field(max_length=100)
    token_hash: str = Field(max_length=64, unique=True)
    hint: str = Field(max_length=16)
    created_at: datetime = ts_field()
    expires_at: datetime = ts_field()
    revoked_at: datetime | None = ts_field(nullable=True)
    last_used_at: datetime | None = ts_field(nullable=True)


class ApiRequest(SQLModel, table=True):
    """One export API request, answered or refused: who (token, user, address), what
    (path and query), when, the status and how many rows it returned."""

    __tablename__ = "api_request"
    id: int | None = Field(default=None, primary_key=True)
    token_id: int | None = Field(default=None, foreign_key="api_token.id", index=True)
    user_id: int | None = Field(default=None, foreign_key="user.id")
    address: str = Field(default="", max_length=64)
    path: str = Field(max_length=200)
    query: str = Field(default="", max_length=1000)
    status: int
    rows: int = 0
    at: datetime = ts_field(index=True)


class Notification(SQLModel, table=True):
    """One thing waiting for one user (db/services/notifications.py): ``kind`` a NotificationKind
    value, ``page`` the page's url path and ``params`` its query string, so a link opens
    the exact page. ``dedupe_key``: for notifications derived by query (an assignment due),
    made at most once per user. ``emailed_at``: sent alone or in a digest."""

    __table_args__ = (
        Index("ix_notification_user_read", "user_id", "read_at"),
        UniqueConstraint("user_id", "dedupe_key"),
    )
    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id")
    kind: str = Field(max_length=32)
    title: str = Field(max_length=200)
    body: str = Field(default="", max_length=1000)
    page: str = Field(max_length=64)
    params: str = Field(default="", max_length=255)
    dedupe_key: str | None = Field(default=None, max_length=120)
    created_at: datetime = ts_field()
    read_at: datetime | None = ts_field(nullable=True)
    emailed_at: datetime | None = ts_field(nullable=True)


class NotificationPreference(SQLModel, table=True):
    """What a user wants to hear about: kinds shown in the app and kinds e-mailed, and
    how ("each": one e-mail per notification; "daily": one digest a day; "off")."""

    __tablename__ = "notification_preference"
    user_id: int = Field(foreign_key="user.id", primary_key=True)
    in_app: list = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    emailed: list = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    email_mode: str = Field(default="each", max_length=16)
    last_digest_at: datetime | None = ts_field(nullable=True)


class AppSetting(SQLModel, table=True):
    """An organisation-wide choice an admin makes in the app (e.g. single sign-on required),
    as JSON under a key."""

    __tablename__ = "app_setting"
    key: str = Field(primary_key=True, max_length=64)
    value: dict = Field(sa_column=Column(JSON, nullable=False))
    updated_by: int | None = Field(default=None, foreign_key="user.id")
    updated_at: datetime = ts_field()


@event.listens_for(_OrmSession, "before_flush")
def _notifications_from_flush(session: _OrmSession, _context: Any, _instances: Any) -> None:
    # The services' changes that someone should hear about become notifications in the
    # same transaction (db/services/notifications.py reads the flush; no service calls it).
    from db.services.notifications import notifications_from_flush

    notifications_from_flush(session)
