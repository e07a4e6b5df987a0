"""Abuse controls of the public pages: per-IP rate limits, CSRF tokens, signed values.

The limits live in the web process's memory (``pakn web`` is one process): a restart forgets them,
which only ever lets a citizen in early.  Behind a reverse proxy, list it in WEB_TRUSTED_PROXIES so
that X-Forwarded-For, not the proxy, is the client.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import math
import secrets
import time
from collections import deque
from functools import lru_cache

from fastapi import Request

from pakn.runtime import get_runtime

CSRF_COOKIE = "pakn_web_csrf"


class RateLimiter:
    """Sliding-window counts per (bucket, client): at most ``limit`` hits per ``window`` seconds."""

    def __init__(self) -> None:
        self._hits: dict[tuple[str, str], deque[float]] = {}
        self._last_sweep = time.monotonic()

    def hit(self, bucket: str, client: str, limit: int, window: float) -> float:
        """Count one request; returns 0 when allowed, else the seconds until the next one is."""
        now = time.monotonic()
        self._sweep(now, window)
        hits = self._hits.setdefault((bucket, client), deque())
        while hits and hits[0] <= now - window:
            hits.popleft()
        if len(hits) >= limit:
            return max(1.0, hits[0] + window - now)
        hits.append(now)
        return 0.0

    def _sweep(self, now: float, window: float) -> None:
        """Forget idle clients now and then, so memory stays bounded by recent visitors."""
        if now - self._last_sweep < window:
            return
        self._last_sweep = now
        for key in [k for k, hits in self._hits.items() if not hits or hits[-1] <= now - window]:
            del self._hits[key]


limiter = RateLimiter()


def client_ip(request: Request) -> str:
    """The client's address; X-Forwarded-For counts only when the connection comes from a trusted proxy."""
    peer = request.client.host if request.client else "unknown"
    trusted = {p.strip() for p in get_runtime().settings.web_trusted_proxies.split(",") if p.strip()}
    forwarded = request.headers.get("x-forwarded-for")
    if forwarded and peer in trusted:
        hops = [h.strip() for h in forwarded.split(",") if h.strip()]
        # The rightmost address not one of our proxies is the one nobody could forge.
        for hop in reversed(hops):
            if hop not in trusted:
                return hop[:64]
    return peer


def retry_minutes(seconds: float) -> int:
    return max(1, math.ceil(seconds / 60))


def check_rate(request: Request, bucket: str) -> float:
    """0 when the request may go on, else seconds to wait. Buckets: ``post`` and ``read``."""
    settings = get_runtime().settings
    limit = settings.web_rate_limit_posts if bucket == "post" else settings.web_rate_limit_lookups
    return limiter.hit(bucket, client_ip(request), limit, settings.web_rate_limit_window_seconds)


@lru_cache(maxsize=1)
def _process_key() -> bytes:
    return secrets.token_bytes(32)


def _key() -> bytes:
    configured = get_runtime().settings.web_secret.get_secret_value()
    return configured.encode() if configured else _process_key()


def sign(value: str) -> str:
    """``value.signature``: lets a value travel through the browser without being forged."""
    mac = hmac.new(_key(), value.encode(), hashlib.sha256).digest()
    return f"{value}.{base64.urlsafe_b64encode(mac[:18]).decode()}"


def unsign(signed: str) -> str | None:
    value, _, _mac = signed.rpartition(".")
    if not value:
        return None
    return value if hmac.compare_digest(sign(value), signed) else None


def csrf_token(request: Request) -> tuple[str, bool]:
    """The browser's CSRF token (double-submit cookie), and whether the cookie must be set."""
    current = request.cookies.get(CSRF_COOKIE, "")
    if current and unsign(current):
        return current, False
    return sign(secrets.token_urlsafe(18)), True


def csrf_ok(request: Request, presented: str | None) -> bool:
    cookie = request.cookies.get(CSRF_COOKIE, "")
    return bool(cookie and presented) and unsign(cookie) is not None and hmac.compare_digest(cookie, presented or "")


def secure_cookies(request: Request) -> bool:
    proto = request.headers.get("x-forwarded-proto", request.url.scheme).split(",")[0].strip()
    return proto == "https" or get_runtime().settings.base_url.startswith("https://")
