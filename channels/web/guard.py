"""Abuse controls of the public pages: per-IP rate limits, CSRF tokens, signed values.

The limits are counted in Redis (``pakn.ratelimit``), so every web process shares them.  Behind a
reverse proxy, list it in WEB_TRUSTED_PROXIES so that X-Forwarded-For, not the proxy, is the client.
Values are signed with WEB_SECRET, which every process shares (generated once into the data folder
when it is not set: ``pakn.secret_keys``).  The settings come from the app's runtime on ``app.state``
(``channels.depends``), or are passed in where there is no request.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import math
import secrets

from fastapi import Request

from channels.depends import provided_runtime
from config.settings import Settings
from pakn.ratelimit import Bucket, get_limits

CSRF_COOKIE = "pakn_web_csrf"


def client_ip(request: Request) -> str:
    """The client's address; X-Forwarded-For counts only when the connection comes from a trusted proxy."""
    peer = request.client.host if request.client else "unknown"
    trusted = set(provided_runtime(request).settings.web.trusted_proxies)
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


def _key(settings: Settings) -> bytes:
    key = settings.web.secret.get_secret_value()
    if not key:  # never: the runtime's settings always carry one (set, or generated once)
        raise RuntimeError("WEB_SECRET missing")
    return key.encode()


def sign(value: str, settings: Settings) -> str:
    """``value.signature``: lets a value travel through the browser without being forged."""
    mac = hmac.new(_key(settings), value.encode(), hashlib.sha256).digest()
    return f"{value}.{base64.urlsafe_b64encode(mac[:18]).decode()}"


def unsign(signed: str, settings: Settings) -> str | None:
    value, _, _mac = signed.rpartition(".")
    if not value:
        return None
    return value if hmac.compare_digest(sign(value, settings), signed) else None


def csrf_token(request: Request) -> tuple[str, bool]:
    """The browser's CSRF token (double-submit cookie), and whether the cookie must be set."""
    settings = provided_runtime(request).settings
    current = request.cookies.get(CSRF_COOKIE, "")
    if current and unsign(current, settings):
        return current, False
    return sign(secrets.token_urlsafe(18), settings), True


def csrf_ok(request: Request, presented: str | None) -> bool:
    cookie = request.cookies.get(CSRF_COOKIE, "")
    if not (cookie and presented) or unsign(cookie, provided_runtime(request).settings) is None:
        return False
    return hmac.compare_digest(cookie, presented or "")


def secure_cookies(request: Request) -> bool:
    proto = request.headers.get("x-forwarded-proto", request.url.scheme).split(",")[0].strip()
    return proto == "https" or provided_runtime(request).settings.base_url.startswith("https://")
