"""Abuse controls of the public pages: per-IP rate limits, CSRF tokens, signed values.

The limits are counted in Redis (``pakn.ratelimit``), so every web process shares them.  Behind a
reverse proxy, list it in WEB_TRUSTED_PROXIES so that X-Forwarded-For, not the proxy, is the client.
Values are signed with WEB_SECRET, which every process shares (generated once into the data folder
when it is not set: ``pakn.secret_keys``).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import math
import secrets

from fastapi import Request

from pakn.ratelimit import Bucket, get_limits
from pakn.runtime import get_runtime

CSRF_COOKIE = "pakn_web_csrf"


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


def check_rate(request: Request, bucket: Bucket) -> float:
    """0 when the request may go on, else seconds to wait (``post``, ``page``, ``lookup``, ``completion``)."""
    return get_limits().hit(bucket, client_ip(request))


def _key() -> bytes:
    key = get_runtime().settings.web_secret.get_secret_value()
    if not key:  # never: the runtime's settings always carry one (set, or generated once)
        raise RuntimeError("WEB_SECRET missing")
    return key.encode()


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
