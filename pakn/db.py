"""Engines and table definitions shared by the journal and the SQL case store.

SQLAlchemy Core keeps one code path for SQLite (WAL, full fsync) and PostgreSQL.  Alembic migrations
under ``pakn/migrations`` create these tables; ``metadata`` here is their single description.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Dialect,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    create_engine,
    event,
)
from sqlalchemy.engine import Engine
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes on every backend (SQLite has no time zones; it gets naive UTC)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the journal")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _lower(value: Any) -> Any:
    return value.lower() if isinstance(value, str) else value


def utcnow() -> datetime:
    return datetime.now(UTC)


metadata = MetaData()

# Every raw submission, exactly as it arrived, before the sender is acknowledged.
submissions = Table(
    "submissions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("tracking_code", String(20), nullable=False, unique=True),
    Column("channel", String(16), nullable=False),
    Column("source_id", String(255), nullable=False),
    Column("content_type", String(100), nullable=False),
    Column("raw", LargeBinary, nullable=False),
    Column("raw_sha256", String(64), nullable=False),
    Column("received_at", UTCDateTime, nullable=False),
    Column("status", String(24), nullable=False),
    Column("verdict", String(24)),
    Column("findings", Text),
    Column("normalized", Text),
    Column("category", String(64)),
    Column("confidential", Boolean, nullable=False, default=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("due_at", UTCDateTime),
    Column("lease_until", UTCDateTime),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("waiting_since", UTCDateTime),
    Column("reminded_at", UTCDateTime),
    # For the repeat rule: who sent it (E.164 phone or email) and a key of its content.
    Column("contact_key", String(320)),
    Column("content_key", String(64)),
    Column("repeat_of", String(20)),
    # Why its normalization last failed (kept when it ends `failed`: `pakn dead list`).
    Column("last_error", Text),
    UniqueConstraint("channel", "source_id", name="uq_submissions_source"),
    Index("ix_submissions_status_due", "status", "due_at"),
    Index("ix_submissions_contact_key", "contact_key"),
    Index("ix_submissions_content_key", "content_key"),
)

# What the citizen added later to the same submission (completion form, email reply, chat answer).
amendments = Table(
    "amendments",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("submission_id", Integer, ForeignKey("submissions.id"), nullable=False),
    Column("source_id", String(255), nullable=False),
    Column("content_type", String(100), nullable=False),
    Column("raw", LargeBinary, nullable=False),
    Column("raw_sha256", String(64), nullable=False),
    Column("received_at", UTCDateTime, nullable=False),
    UniqueConstraint("submission_id", "source_id", name="uq_amendments_source"),
)

# The outbox towards the case store: one row per accepted submission, delivered exactly once.
forwards = Table(
    "forwards",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("submission_id", Integer, ForeignKey("submissions.id"), nullable=False, unique=True),
    Column("idempotency_key", String(64), nullable=False, unique=True),
    Column("payload", Text, nullable=False),
    Column("state", String(16), nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("due_at", UTCDateTime),
    Column("lease_until", UTCDateTime),
    Column("last_error", Text),
    Column("created_at", UTCDateTime, nullable=False),
    Column("delivered_at", UTCDateTime),
    Column("latency_seconds", Float),
    Index("ix_forwards_state_due", "state", "due_at"),
)

# Messages owed to the citizen on their channel (acknowledgement, needs information, reminder, ...).
notifications = Table(
    "notifications",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("submission_id", Integer, ForeignKey("submissions.id"), nullable=False),
    Column("kind", String(32), nullable=False),
    Column("message", Text, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("sent_at", UTCDateTime),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("due_at", UTCDateTime),
    Column("lease_until", UTCDateTime),
    Column("last_error", Text),
    Index("ix_notifications_due", "sent_at", "due_at"),
)

# What staff did to a submission in the triage inbox (pakn.journal.review; migration 0011_review): who,
# when, which action, which field from what to what, and why.  Never updated, never deleted.
review_actions = Table(
    "review_actions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("submission_id", Integer, ForeignKey("submissions.id"), nullable=False),
    Column("actor", String(64), nullable=False),
    Column("acted_at", UTCDateTime, nullable=False),
    Column("action", String(24), nullable=False),
    Column("field", String(24)),
    Column("before", Text),
    Column("after", Text),
    Column("reason", Text),
    # Whose decision a person overrode: the rule that set a corrected field, "verdict" for an accepted
    # case rejected or sent back, the findings' codes of a reopened one (comma-separated).
    Column("rule", String(200)),
    Index("ix_review_actions_submission", "submission_id", "id"),
)

# What the case store told us about a case (signed callbacks): received, in progress, resolved.
case_updates = Table(
    "case_updates",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("submission_id", Integer, ForeignKey("submissions.id"), nullable=False),
    Column("update_key", String(64), nullable=False, unique=True),
    Column("status", String(24), nullable=False),
    Column("answer", Text),
    Column("on_time", Boolean),
    Column("satisfaction", Integer),
    Column("reported_at", UTCDateTime),
    Column("received_at", UTCDateTime, nullable=False),
)

# --- the agency <-> citizen loop (pakn/journal/loop.py; migration 0013_loop) ---------------------------------
# A question the case store asked about a case (POST /api/v1/case-store/questions), relayed to the citizen on
# their channel by the outbox row ``notification_id``; ``answered_at`` once the citizen's answer is taken.
case_questions = Table(
    "case_questions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("submission_id", Integer, ForeignKey("submissions.id"), nullable=False),
    Column("question_key", String(64), nullable=False, unique=True),  # sha256(code:question_id): resends
    Column("question_id", String(64), nullable=False),  # the case store's own id, sent back with the answer
    Column("question", Text, nullable=False),
    Column("asked_at", UTCDateTime),
    Column("received_at", UTCDateTime, nullable=False),
    Column("notification_id", Integer, ForeignKey("notifications.id")),
    Column("answered_at", UTCDateTime),
    Index("ix_case_questions_submission", "submission_id", "answered_at"),
)

# The citizen's answer to a question, on its way to the case store (leased work, like ``forwards``): one per
# question (the first answer wins); its body (dispatcher.contract) and idempotency key the same on every attempt.
citizen_replies = Table(
    "citizen_replies",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("submission_id", Integer, ForeignKey("submissions.id"), nullable=False),
    Column("question_id", Integer, ForeignKey("case_questions.id"), nullable=False, unique=True),
    Column("idempotency_key", String(128), nullable=False, unique=True),
    Column("source_id", String(255), nullable=False),  # the channel's message that carried the answer
    Column("channel", String(16), nullable=False),  # the channel it came by
    Column("answer", Text, nullable=False),
    Column("answered_at", UTCDateTime, nullable=False),
    Column("state", String(16), nullable=False),  # pending | delivered | failed
    Column("attempts", Integer, nullable=False, default=0),
    Column("due_at", UTCDateTime),
    Column("lease_until", UTCDateTime),
    Column("last_error", Text),
    Column("created_at", UTCDateTime, nullable=False),
    Column("delivered_at", UTCDateTime),
    Index("ix_citizen_replies_state_due", "state", "due_at"),
    Index("ix_citizen_replies_source", "source_id"),
)

# --- satisfaction (pakn/journal/ratings.py; migration 0014_ratings) -------------------------------------------
# The citizen asked once, when the case store reports the case resolved, to rate the answer; their rating
# (very_satisfied | satisfied | acceptable | unhappy) and comment, then on its way to the case store as
# leased work (state: asked -> pending -> delivered | failed).
ratings = Table(
    "ratings",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("submission_id", Integer, ForeignKey("submissions.id"), nullable=False, unique=True),
    Column("notification_id", Integer, ForeignKey("notifications.id")),
    Column("idempotency_key", String(64), nullable=False, unique=True),
    Column("asked_at", UTCDateTime, nullable=False),
    Column("rating", String(16)),
    Column("comment", Text),
    Column("rated_at", UTCDateTime),
    Column("channel", String(16)),  # where the citizen rated
    Column("source_id", String(255)),  # the channel's message that carried the rating
    Column("state", String(16), nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("due_at", UTCDateTime),
    Column("lease_until", UTCDateTime),
    Column("last_error", Text),
    Column("delivered_at", UTCDateTime),
    Index("ix_ratings_state_due", "state", "due_at"),
    Index("ix_ratings_source", "source_id"),
)

# The embedded `sql` case store: what the downstream system received, one row per idempotency key.
case_store_metadata = MetaData()
cases = Table(
    "cases",
    case_store_metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("idempotency_key", String(64), nullable=False, unique=True),
    Column("tracking_code", String(20), nullable=False),
    Column("payload", Text, nullable=False),
    Column("received_at", UTCDateTime, nullable=False),
)

# The embedded `sql` case store's ratings: one per key.
case_ratings = Table(
    "case_ratings",
    case_store_metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("idempotency_key", String(128), nullable=False, unique=True),
    Column("tracking_code", String(20), nullable=False),
    Column("payload", Text, nullable=False),
    Column("received_at", UTCDateTime, nullable=False),
)

# The embedded `sql` case store's side of the loop: the citizens' answers it received, one per key.
case_replies = Table(
    "case_replies",
    case_store_metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("idempotency_key", String(128), nullable=False, unique=True),
    Column("tracking_code", String(20), nullable=False),
    Column("payload", Text, nullable=False),
    Column("received_at", UTCDateTime, nullable=False),
)


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine with the settings this project relies on (WAL + full sync + busy timeout on SQLite)."""
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30}, **kwargs)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            # Autocommit at the driver level; SQLAlchemy issues BEGIN itself (see below), so that a
            # writing transaction takes the lock at its start instead of failing at its first write.
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=FULL")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()
            # SQLite's own lower() folds ASCII only; PostgreSQL's folds "Đ" too.  The triage inbox's
            # search compares lower() of both sides, so SQLite gets Python's (Unicode) lower().
            dbapi_connection.create_function("lower", 1, _lower, deterministic=True)

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn: Any) -> None:
            immediate = conn.get_execution_options().get("sqlite_immediate", False)
            # Straight on the driver: this runs for every transaction, and a SQLAlchemy execute costs
            # several times what SQLite takes to begin.
            conn.connection.driver_connection.execute("BEGIN IMMEDIATE" if immediate else "BEGIN")

        return engine
    kwargs.setdefault("pool_pre_ping", True)
    return create_engine(url, **kwargs)


class DriverSql:
    """Plain SQL run on the DBAPI cursor inside a SQLAlchemy transaction, for the intake's hot path.

    Every channel makes its sender wait on one transaction that stores a batch of submissions.  Going
    through SQLAlchemy's statement machinery there cost more than SQLite's own work (each execute
    ~0.2 ms of Python), all of it while the journal's write lock is held.  The statements are few and
    fixed, so they are written out here once per engine, with the driver's placeholder, and values go
    through each column's type (UTC datetimes become SQLite's text form) so that the rows are exactly
    those ``insert(table)`` would write.
    """

    def __init__(self, engine: Engine) -> None:
        style = engine.dialect.paramstyle
        if style not in ("qmark", "format", "pyformat"):
            raise ValueError(f"no plain-SQL path for the {style!r} parameter style")
        self.dialect = engine.dialect
        self.mark = "?" if style == "qmark" else "%s"

    def marks(self, count: int) -> str:
        return ", ".join([self.mark] * count)

    def insert(
        self,
        table: Table,
        columns: Sequence[str],
        *,
        on_conflict_do_nothing: bool = False,
        returning: Sequence[str] = (),
    ) -> BulkInsert:
        return BulkInsert(self, table, columns, on_conflict_do_nothing=on_conflict_do_nothing, returning=returning)


class BulkInsert:
    """Rows stored by one multi-row ``INSERT ... VALUES (..), (..)`` per chunk, optionally ``RETURNING``.

    One statement rather than ``executemany``: one step into SQLite for the whole chunk, where
    ``executemany`` steps (and lets go of the GIL and takes it back) once per row.
    """

    def __init__(
        self,
        sql: DriverSql,
        table: Table,
        columns: Sequence[str],
        *,
        on_conflict_do_nothing: bool = False,
        returning: Sequence[str] = (),
    ) -> None:
        missing = [c.name for c in table.columns if c.default is not None and c.name not in columns]
        if missing:  # SQLAlchemy fills these in; a plain INSERT would leave them NULL
            raise ValueError(f"BulkInsert on {table.name} must also name {missing}")
        self._head = f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES "
        self._row = f"({sql.marks(len(columns))})"
        # A row breaking a unique constraint is skipped (SQLite and PostgreSQL); RETURNING then leaves
        # it out, so what comes back is exactly the rows stored.
        self._tail = " ON CONFLICT DO NOTHING" if on_conflict_do_nothing else ""
        self._tail += f" RETURNING {', '.join(returning)}" if returning else ""
        self._returning = bool(returning)
        self._per_statement = max(1, 30_000 // len(columns))  # SQLite takes at most 32,766 parameters
        # The dialect's own implementation: a generic DateTime would hand SQLite a datetime object,
        # which the driver writes in another text form than SQLAlchemy does.
        self._processors = [
            table.c[name].type.dialect_impl(sql.dialect).bind_processor(sql.dialect) for name in columns
        ]

    def bind(self, values: Sequence[Any]) -> list[Any]:
        """One row, values in column order, as the driver takes them."""
        return [
            value if process is None else process(value)
            for value, process in zip(values, self._processors, strict=True)
        ]

    def execute(self, cursor: Any, rows: Sequence[Sequence[Any]]) -> list[tuple[Any, ...]]:
        """Store ``rows``; the ``returning`` columns of each row stored (none when not asked for)."""
        returned: list[tuple[Any, ...]] = []
        for start in range(0, len(rows), self._per_statement):
            chunk = rows[start : start + self._per_statement]
            values = [value for row in chunk for value in self.bind(row)]
            cursor.execute(self._head + ", ".join([self._row] * len(chunk)) + self._tail, values)
            if self._returning:
                returned.extend(tuple(row) for row in cursor.fetchall())
        return returned


def writer(engine: Engine) -> Engine:
    """The same engine, but its transactions take SQLite's write lock up front (no-op elsewhere)."""
    return engine.execution_options(sqlite_immediate=True)


# --- hotline channel (channels/hotline; migration 0004_hotline) ---------------------------------------
# Console accounts: argon2 password hashes; the operator API token is stored as its SHA-256 only.
hotline_operators = Table(
    "hotline_operators",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("username", String(64), nullable=False, unique=True),
    Column("display_name", String(200), nullable=False),
    Column("role", String(16), nullable=False),
    Column("password_hash", String(255), nullable=False),
    Column("api_token_sha256", String(64), unique=True),
    Column("active", Boolean, nullable=False, default=True),
    Column("created_at", UTCDateTime, nullable=False),
)

# Console sign-ins: the cookie holds a random token, the table its SHA-256 and the form CSRF token.
hotline_sessions = Table(
    "hotline_sessions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("token_sha256", String(64), nullable=False, unique=True),
    Column("operator_id", Integer, ForeignKey("hotline_operators.id"), nullable=False),
    Column("csrf_token", String(64), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    Index("ix_hotline_sessions_expires", "expires_at"),
)

# One row per call, whatever told us about it first: Twilio (key = CallSid), the PBX's call records
# (key = "pbx:..."), the console or the operator API.  ``missed`` = waiting for a call-back.
hotline_calls = Table(
    "hotline_calls",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("call_key", String(255), nullable=False, unique=True),
    Column("source", String(16), nullable=False),
    Column("direction", String(16), nullable=False, default="inbound"),
    Column("from_number", String(64)),
    Column("to_number", String(64)),
    Column("status", String(24), nullable=False),
    Column("started_at", UTCDateTime, nullable=False),
    Column("ended_at", UTCDateTime),
    Column("duration_seconds", Integer),
    Column("answered", Boolean, nullable=False, default=False),
    Column("operator_id", Integer, ForeignKey("hotline_operators.id")),
    Column("recording_sid", String(64)),
    Column("recording_url", Text),
    Column("recording_seconds", Integer),
    Column("outcome", String(24)),
    Column("category", String(64)),
    Column("confidential", Boolean, nullable=False, default=False),
    Column("submission_id", Integer, ForeignKey("submissions.id")),
    Column("tracking_code", String(20)),
    Column("missed", Boolean, nullable=False, default=False),
    Column("called_back_at", UTCDateTime),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Index("ix_hotline_calls_missed", "missed", "called_back_at"),
    Index("ix_hotline_calls_from", "from_number", "started_at"),
    Index("ix_hotline_calls_operator", "operator_id", "updated_at"),
)

# Outbound SMS already handed to Twilio, by outbox notification: a retried send is not sent twice.
hotline_sms = Table(
    "hotline_sms",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("notification_id", Integer, ForeignKey("notifications.id"), nullable=False, unique=True),
    Column("message_sid", String(64), nullable=False),
    Column("sent_at", UTCDateTime, nullable=False),
)
# --- end of hotline channel ----------------------------------------------------------------------------

# --- telegram channel (channels/telegram; migration 0005_telegram) -------------------------------------
# Every Telegram update handled, by update_id: a repeated delivery is recognised and ignored.
telegram_updates = Table(
    "telegram_updates",
    metadata,
    Column("update_id", BigInteger, primary_key=True, autoincrement=False),
    Column("processed_at", UTCDateTime, nullable=False),
    Index("ix_telegram_updates_processed", "processed_at"),
)

# The conversation each chat is in (what was answered so far, the question asked): survives restarts.
telegram_conversations = Table(
    "telegram_conversations",
    metadata,
    Column("chat_id", BigInteger, primary_key=True, autoincrement=False),
    Column("conversation_id", String(32), nullable=False),
    Column("step", String(24), nullable=False),
    Column("state", Text, nullable=False),
    Column("version", Integer, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Index("ix_telegram_conversations_updated", "updated_at"),
)
# --- end of telegram channel ---------------------------------------------------------------------------

# --- email channel (channels/email; migration 0003_email) -----------------------------------------------
# How far the IMAP poller has read each folder, per UIDVALIDITY: a new UIDVALIDITY starts a new row.
email_checkpoints = Table(
    "email_checkpoints",
    metadata,
    Column("account", String(320), primary_key=True),
    Column("folder", String(255), primary_key=True),
    Column("uidvalidity", BigInteger, primary_key=True),
    Column("last_uid", BigInteger, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)

# Every attachment part of a journaled mail: stored by SHA-256, or refused with the reason.
email_attachments = Table(
    "email_attachments",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("submission_id", Integer, ForeignKey("submissions.id"), nullable=False),
    Column("source_id", String(255), nullable=False),
    Column("part_index", Integer, nullable=False),
    Column("filename", String(255), nullable=False),  # a safe base name (see channels.email.parse)
    Column("content_type", String(100), nullable=False),
    Column("size", BigInteger, nullable=False),
    Column("sha256", String(64)),
    Column("refused", String(32)),
    Column("original_filename", String(255)),  # as the sender named it: display only, escaped where shown
    Column("damaged", String(32)),  # kept, but known incomplete: truncated | damaged
    Column("created_at", UTCDateTime, nullable=False),
    UniqueConstraint("submission_id", "source_id", "part_index", name="uq_email_attachments_part"),
)

# Answers mailed (or deliberately not mailed) to citizens: their Message-IDs thread the replies back.
email_outbound = Table(
    "email_outbound",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("message_id", String(255), nullable=False, unique=True),
    Column("submission_id", Integer, ForeignKey("submissions.id"), nullable=False),
    Column("notification_id", Integer, ForeignKey("notifications.id"), unique=True),
    Column("kind", String(32), nullable=False),
    Column("status", String(16), nullable=False),  # sent | suppressed
    Column("reason", String(32)),
    Column("created_at", UTCDateTime, nullable=False),
    Index("ix_email_outbound_submission", "submission_id"),
)

# Automatic answers per sender per day (RFC 3834: a responder must not keep answering one address).
email_answer_counts = Table(
    "email_answer_counts",
    metadata,
    Column("sender", String(320), primary_key=True),
    Column("day", String(10), primary_key=True),
    Column("count", Integer, nullable=False),
)
# --- end of email channel ------------------------------------------------------------------------------

# --- contact changes (pakn/contact_changes.py; migration 0009_contact_changes) ------------------------------
# A completion that gives another phone or email than the one on file: recorded, not applied, until the
# code sent on the submission's original channel is entered.  Old and new values kept for staff.
contact_changes = Table(
    "contact_changes",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("submission_id", Integer, ForeignKey("submissions.id"), nullable=False),
    Column("source_id", String(255), nullable=False),  # the completion that asked for it (its amendment)
    Column("field", String(16), nullable=False),  # phone | email
    Column("old_value", String(320), nullable=False),
    Column("new_value", String(320), nullable=False),
    Column("code_hmac", String(64), nullable=False),  # HMAC of the confirmation code, never the code
    Column("state", String(16), nullable=False),  # pending | confirmed | refused | replaced | expired
    Column("attempts", Integer, nullable=False, default=0),  # wrong codes entered
    Column("notification_id", Integer, ForeignKey("notifications.id")),
    Column("created_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    Column("decided_at", UTCDateTime),
    Index("ix_contact_changes_submission", "submission_id", "state"),
)
# --- end of contact changes ----------------------------------------------------------------------------------

# --- the week's summary for leaders (pakn/app/summary.py; migration 0012_summary) ---------------------------------
# One row per ISO week ("2026-W48"): claimed with a lease by one sweeper, `sent` once every recipient has it.
summary_weeks = Table(
    "summary_weeks",
    metadata,
    Column("week", String(8), primary_key=True),
    Column("state", String(16), nullable=False),  # sending | sent
    Column("lease_until", UTCDateTime),
    Column("claimed_by", String(64)),
    Column("created_at", UTCDateTime, nullable=False),
    Column("sent_at", UTCDateTime),
)

# Each recipient that has the week's summary ("email:…", "telegram:…", "zalo:…"): a resend skips them.
summary_sends = Table(
    "summary_sends",
    metadata,
    Column("week", String(8), ForeignKey("summary_weeks.week"), primary_key=True),
    Column("recipient", String(330), primary_key=True),
    Column("sent_at", UTCDateTime, nullable=False),
)
# --- end of the week's summary ---------------------------------------------------------------------------------
