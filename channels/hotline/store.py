"""The hotline's own tables (``pakn/db.py``, migration ``0004_hotline``): operators, sessions, calls.

Calls are keyed by ``call_key`` (Twilio's CallSid, ``pbx:...`` for PBX records, ``console:...`` or
``api:...``), so whatever tells us about a call, in whatever order, updates the one row.  Writers use
the journal's engine with SQLite's write lock taken up front, and ``FOR UPDATE`` on PostgreSQL.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, desc, insert, select, update
from sqlalchemy.engine import Connection, Engine, Row
from sqlalchemy.exc import IntegrityError

from pakn.db import hotline_calls, hotline_operators, hotline_sessions, hotline_sms, utcnow, writer

ROLES = ("operator", "supervisor", "admin")
# Twilio call statuses by how far a call has got: a late, lower-ranked callback never moves it back.
_STATUS_RANK = {"queued": 0, "initiated": 0, "ringing": 1, "in-progress": 2, "answered": 2}
TERMINAL = frozenset({"completed", "busy", "no-answer", "failed", "canceled"})


def _rank(status: str) -> int:
    return 3 if status in TERMINAL else _STATUS_RANK.get(status, 0)


def sha256_hex(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class Operator:
    id: int
    username: str
    display_name: str
    role: str
    active: bool

    def can(self, role: str) -> bool:
        """Roles are ordered: a supervisor may do what an operator may, an admin everything."""
        return ROLES.index(self.role) >= ROLES.index(role)


@dataclass(frozen=True, slots=True)
class Session:
    operator: Operator
    csrf_token: str
    expires_at: datetime


def _operator(row: Row[Any]) -> Operator:
    return Operator(row.id, row.username, row.display_name, row.role, bool(row.active))


@contextmanager
def _writing(engine: Engine) -> Iterator[Connection]:
    with writer(engine).begin() as conn:
        yield conn


# --- operators ---------------------------------------------------------------------------------------
def add_operator(engine: Engine, username: str, display_name: str, role: str, password_hash: str) -> int:
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}")
    with _writing(engine) as conn:
        return int(
            conn.execute(
                insert(hotline_operators)
                .values(
                    username=username,
                    display_name=display_name,
                    role=role,
                    password_hash=password_hash,
                    active=True,
                    created_at=utcnow(),
                )
                .returning(hotline_operators.c.id)
            ).scalar_one()
        )


def update_operator(engine: Engine, username: str, **values: Any) -> bool:
    with _writing(engine) as conn:
        done = conn.execute(
            update(hotline_operators).where(hotline_operators.c.username == username).values(**values)
        ).rowcount
        if "active" in values and not values["active"]:
            ids = select(hotline_operators.c.id).where(hotline_operators.c.username == username)
            conn.execute(delete(hotline_sessions).where(hotline_sessions.c.operator_id.in_(ids.scalar_subquery())))
    return bool(done)


def password_hash_of(engine: Engine, username: str) -> tuple[Operator, str] | None:
    with engine.connect() as conn:
        row = conn.execute(select(hotline_operators).where(hotline_operators.c.username == username)).first()
    return (_operator(row), row.password_hash) if row else None


def operators(engine: Engine) -> list[Operator]:
    with engine.connect() as conn:
        rows = conn.execute(select(hotline_operators).order_by(hotline_operators.c.username)).all()
    return [_operator(r) for r in rows]


def new_api_token(engine: Engine, username: str) -> str | None:
    """A fresh API token for call-centre software (shown once; only its SHA-256 is kept)."""
    token = "hl_" + secrets.token_urlsafe(32)
    return token if update_operator(engine, username, api_token_sha256=sha256_hex(token)) else None


def operator_by_token(engine: Engine, token: str) -> Operator | None:
    with engine.connect() as conn:
        row = conn.execute(
            select(hotline_operators).where(
                hotline_operators.c.api_token_sha256 == sha256_hex(token), hotline_operators.c.active.is_(True)
            )
        ).first()
    return _operator(row) if row else None


# --- sessions ----------------------------------------------------------------------------------------
def create_session(engine: Engine, operator_id: int, lifetime: timedelta) -> tuple[str, Session]:
    token = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(32)
    now = utcnow()
    with _writing(engine) as conn:
        conn.execute(delete(hotline_sessions).where(hotline_sessions.c.expires_at < now))
        conn.execute(
            insert(hotline_sessions).values(
                token_sha256=sha256_hex(token),
                operator_id=operator_id,
                csrf_token=csrf,
                created_at=now,
                expires_at=now + lifetime,
            )
        )
        row = conn.execute(select(hotline_operators).where(hotline_operators.c.id == operator_id)).one()
    return token, Session(_operator(row), csrf, now + lifetime)


def session_for(engine: Engine, token: str) -> Session | None:
    """The live session of a cookie; expired sessions and disabled operators have none."""
    with engine.connect() as conn:
        row = conn.execute(
            select(hotline_operators, hotline_sessions.c.csrf_token, hotline_sessions.c.expires_at)
            .join(hotline_sessions, hotline_sessions.c.operator_id == hotline_operators.c.id)
            .where(hotline_sessions.c.token_sha256 == sha256_hex(token))
        ).first()
    if row is None or row.expires_at <= utcnow() or not row.active:
        return None
    return Session(_operator(row), row.csrf_token, row.expires_at)


def end_session(engine: Engine, token: str) -> None:
    with _writing(engine) as conn:
        conn.execute(delete(hotline_sessions).where(hotline_sessions.c.token_sha256 == sha256_hex(token)))


# --- calls -------------------------------------------------------------------------------------------
def _locked_call(conn: Connection, call_key: str) -> Row[Any] | None:
    query = select(hotline_calls).where(hotline_calls.c.call_key == call_key)
    if conn.dialect.name != "sqlite":
        query = query.with_for_update()
    return conn.execute(query).first()


def _missed(row: dict[str, Any]) -> bool:
    """Waiting for a call-back: the call is over (or left a message), no operator took it, nothing logged."""
    over = row["status"] in TERMINAL or bool(row["recording_url"])
    return over and not row["answered"] and row["outcome"] is None and row["called_back_at"] is None


def upsert_call(engine: Engine, call_key: str, source: str, **changes: Any) -> int:
    """Create the call on first news of it, or merge ``changes`` into it; ``missed`` is derived here.

    ``status`` only ever moves forward (callbacks arrive out of order); ``answered`` only becomes true.
    """
    for _attempt in range(3):
        try:
            return _upsert_call_once(engine, call_key, source, changes)
        except IntegrityError:  # another process created it in between: merge into theirs
            continue
    return _upsert_call_once(engine, call_key, source, changes)


def _upsert_call_once(engine: Engine, call_key: str, source: str, changes: dict[str, Any]) -> int:
    now = utcnow()
    with _writing(engine) as conn:
        existing = _locked_call(conn, call_key)
        if existing is None:
            row: dict[str, Any] = {
                "call_key": call_key,
                "source": source,
                "direction": "inbound",
                "status": "ringing",
                "started_at": now,
                "answered": False,
                "confidential": False,
                "outcome": None,
                "recording_url": None,
                "called_back_at": None,
                "created_at": now,
                "updated_at": now,
            }
            row.update({k: v for k, v in changes.items() if v is not None})
            row["missed"] = _missed(row)
            return int(conn.execute(insert(hotline_calls).values(**row).returning(hotline_calls.c.id)).scalar_one())
        row = dict(existing._mapping)
        merged = {k: v for k, v in changes.items() if v is not None}
        if "status" in merged and _rank(merged["status"]) < _rank(row["status"]):
            del merged["status"]
        if "answered" in merged:
            merged["answered"] = bool(row["answered"] or merged["answered"])
        for keep_first in ("from_number", "to_number", "started_at"):
            if row.get(keep_first) is not None and keep_first in merged and source != "pbx":
                del merged[keep_first]
        row.update(merged)
        merged["missed"] = _missed(row)
        merged["updated_at"] = now
        conn.execute(update(hotline_calls).where(hotline_calls.c.id == row["id"]).values(**merged))
        return int(row["id"])


def call_by_id(engine: Engine, call_id: int) -> dict[str, Any] | None:
    with engine.connect() as conn:
        row = conn.execute(select(hotline_calls).where(hotline_calls.c.id == call_id)).first()
    return dict(row._mapping) if row else None


def call_by_key(engine: Engine, call_key: str) -> dict[str, Any] | None:
    with engine.connect() as conn:
        row = conn.execute(select(hotline_calls).where(hotline_calls.c.call_key == call_key)).first()
    return dict(row._mapping) if row else None


def record_outcome(engine: Engine, call_id: int, **values: Any) -> None:
    """An operator logged the call: it is handled (not missed), and a missed one counts as called back."""
    now = utcnow()
    with _writing(engine) as conn:
        row = conn.execute(select(hotline_calls.c.missed).where(hotline_calls.c.id == call_id)).one()
        extra = {"called_back_at": now} if row.missed else {}
        conn.execute(
            update(hotline_calls)
            .where(hotline_calls.c.id == call_id)
            .values(**values, **extra, missed=False, updated_at=now)
        )


def mark_called_back(engine: Engine, call_id: int) -> bool:
    now = utcnow()
    with _writing(engine) as conn:
        return bool(
            conn.execute(
                update(hotline_calls)
                .where(hotline_calls.c.id == call_id, hotline_calls.c.missed.is_(True))
                .values(missed=False, called_back_at=now, updated_at=now)
            ).rowcount
        )


def recent_calls(engine: Engine, operator_id: int | None, limit: int = 20) -> list[dict[str, Any]]:
    """Calls logged by one operator (or by anyone, for a supervisor), newest first."""
    query = select(hotline_calls).where(hotline_calls.c.outcome.is_not(None))
    if operator_id is not None:
        query = query.where(hotline_calls.c.operator_id == operator_id)
    with engine.connect() as conn:
        rows = conn.execute(query.order_by(desc(hotline_calls.c.updated_at)).limit(limit)).all()
    return [dict(r._mapping) for r in rows]


def missed_calls(engine: Engine, limit: int = 50) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        rows = conn.execute(
            select(hotline_calls)
            .where(hotline_calls.c.missed.is_(True))
            .order_by(desc(hotline_calls.c.started_at))
            .limit(limit)
        ).all()
    return [dict(r._mapping) for r in rows]


def ringing_calls(engine: Engine, since: datetime, limit: int = 10) -> list[dict[str, Any]]:
    """Twilio calls in progress and not yet logged: what an operator who just picked up is on."""
    with engine.connect() as conn:
        rows = conn.execute(
            select(hotline_calls)
            .where(
                hotline_calls.c.source == "twilio",
                hotline_calls.c.outcome.is_(None),
                hotline_calls.c.status.in_(("ringing", "in-progress", "queued")),
                hotline_calls.c.started_at >= since,
            )
            .order_by(desc(hotline_calls.c.started_at))
            .limit(limit)
        ).all()
    return [dict(r._mapping) for r in rows]


def logged_call_near(conn: Connection, phone_keys: tuple[str, ...], start: datetime, end: datetime) -> Row[Any] | None:
    """A call logged from the console or API by the same caller around a PBX call's time."""
    if not phone_keys:
        return None
    return conn.execute(
        select(hotline_calls)
        .where(
            hotline_calls.c.source.in_(("console", "api", "twilio")),
            hotline_calls.c.outcome.is_not(None),
            hotline_calls.c.from_number.in_(phone_keys),
            hotline_calls.c.created_at >= start,
            hotline_calls.c.created_at <= end,
        )
        .order_by(hotline_calls.c.id)
    ).first()


def insert_pbx_call(conn: Connection, row: dict[str, Any]) -> bool:
    """One PBX record, unless its key was imported before (then nothing happens)."""
    if conn.execute(select(hotline_calls.c.id).where(hotline_calls.c.call_key == row["call_key"])).first():
        return False
    conn.execute(insert(hotline_calls).values(**row))
    return True


def close_missed_calls_of(conn: Connection, phone_keys: tuple[str, ...], before: datetime, at: datetime) -> int:
    """An answered call-back to a number clears that number's missed calls up to then."""
    if not phone_keys:
        return 0
    return int(
        conn.execute(
            update(hotline_calls)
            .where(
                hotline_calls.c.missed.is_(True),
                hotline_calls.c.from_number.in_(phone_keys),
                hotline_calls.c.started_at <= before,
            )
            .values(missed=False, called_back_at=at, updated_at=utcnow())
        ).rowcount
    )


# --- outbound SMS ------------------------------------------------------------------------------------
def sms_sent_for(engine: Engine, notification_id: int) -> str | None:
    with engine.connect() as conn:
        return conn.execute(
            select(hotline_sms.c.message_sid).where(hotline_sms.c.notification_id == notification_id)
        ).scalar_one_or_none()


def remember_sms(engine: Engine, notification_id: int, message_sid: str) -> None:
    try:
        with _writing(engine) as conn:
            conn.execute(
                insert(hotline_sms).values(notification_id=notification_id, message_sid=message_sid, sent_at=utcnow())
            )
    except IntegrityError:
        pass
