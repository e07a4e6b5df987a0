"""Operator sign-in: argon2 password hashes, expiring server-side sessions, CSRF tokens, API tokens.

The session cookie holds a random token; the database keeps only its SHA-256, so a leaked database
copy signs nobody in.  Every console form carries the session's CSRF token (and the live-findings
fetch sends it as a header); the sign-in form, which has no session yet, uses a double-submit cookie.
What a function needs comes in: the runtime as an argument, or from the request's app (``channels.depends``).
"""

from __future__ import annotations

import hmac
import logging
import secrets
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from fastapi import HTTPException, Request
from sqlalchemy.engine import Engine
from starlette.concurrency import run_in_threadpool

from channels.depends import provided_runtime
from channels.hotline import store
from channels.runtime import Runtime
from channels.web.guard import client_ip
from pakn.ratelimit import get_limits

log = logging.getLogger(__name__)

SESSION_COOKIE = "pakn_hotline_session"
LOGIN_CSRF_COOKIE = "pakn_hotline_login"
COOKIE_PATH = "/hotline"
_hasher = PasswordHasher()
# Verifying against this keeps a wrong username as slow as a wrong password (no user enumeration).
_DUMMY_HASH = _hasher.hash(secrets.token_hex(8))


MIN_PASSWORD_LENGTH = 8


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValueError(f"a password needs at least {MIN_PASSWORD_LENGTH} characters")
    return _hasher.hash(password)


def check_password(engine: Engine, username: str, password: str) -> store.Operator | None:
    found = store.password_hash_of(engine, username)
    try:
        if found is None:
            _hasher.verify(_DUMMY_HASH, password)
            return None
        operator, password_hash = found
        _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return None
    if not operator.active:
        return None
    if _hasher.check_needs_rehash(password_hash):
        store.update_operator(engine, username, password_hash=_hasher.hash(password))
    return operator


async def sign_in(request: Request, username: str, password: str, where: str) -> tuple[store.Operator | None, float]:
    """(the operator, 0) for a right password; (None, 0) for a wrong one; (None, seconds) while locked.

    Failures are counted per account and per client address in Redis (``pakn.ratelimit``, shared by
    every process, apart from the citizens' buckets); past the limit the account or the address is
    locked for LOGIN_LOCK_MINUTES and even the right password is refused, before any hash is computed.
    """
    limits, client = get_limits(), client_ip(request)
    check = await run_in_threadpool(limits.login_allowed, username, client)
    if not check.allowed:
        log.debug("%s: a sign-in was refused: locked after too many failures", where)
        return None, check.wait
    operator = await run_in_threadpool(check_password, provided_runtime(request).journal.engine, username, password)
    if operator is None:
        await run_in_threadpool(limits.login_failed, username, client, where)
    else:
        await run_in_threadpool(limits.login_succeeded, username)
    return operator, 0.0


def locked_message(runtime: Runtime, wait: float) -> str:
    """The operator's Vietnamese explanation of a sign-in lock."""
    minutes = max(1, -(-int(wait) // 60))
    return runtime.catalog.messages.text("web", "login-locked", minutes=minutes)


def new_session(runtime: Runtime, operator: store.Operator) -> tuple[str, store.Session]:
    lifetime = timedelta(minutes=runtime.settings.hotline.session_minutes)
    return store.create_session(runtime.journal.engine, operator.id, lifetime)


async def current_session(request: Request) -> store.Session | None:
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    return await run_in_threadpool(store.session_for, provided_runtime(request).journal.engine, token)


def csrf_ok(session: store.Session, presented: str | None) -> bool:
    return bool(presented) and hmac.compare_digest(session.csrf_token, presented or "")


async def api_operator(request: Request) -> store.Operator:
    """The operator behind ``Authorization: Bearer <token>`` (call-centre software), or 401."""
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise HTTPException(401, "missing bearer token", headers={"WWW-Authenticate": "Bearer"})
    operator = await run_in_threadpool(store.operator_by_token, provided_runtime(request).journal.engine, token.strip())
    if operator is None:
        log.warning("hotline API: refused a request with an unknown token")
        raise HTTPException(401, "invalid token", headers={"WWW-Authenticate": "Bearer"})
    return operator


def secure_cookies(request: Request) -> bool:
    """Cookies are Secure whenever the browser reached us over HTTPS (directly or via a proxy)."""
    proto = request.headers.get("x-forwarded-proto", request.url.scheme).split(",")[0].strip()
    public = provided_runtime(request).settings.hotline.public_url or ""
    return proto == "https" or public.startswith("https://")
