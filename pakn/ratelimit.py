"""Rate limits and sign-in locks, counted in Redis so every process of the gateway shares them.

Built on ``limits`` (moving windows).  Separate buckets, so one kind of traffic never spends another's
allowance: citizens' posts, page views and live checks, lookups by tracking code, completions, and
staff sign-ins (failures per account and per client address, then a lock).  The counters live in the
Redis of REDIS_URL (the embedded one otherwise) under the queue name's prefix; if Redis cannot be
reached the request is let through and a warning logged: a limit must never make the intake fail.
"""

from __future__ import annotations

import hashlib
import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from limits import RateLimitItem, RateLimitItemPerSecond
from limits.storage import RedisStorage, Storage
from limits.strategies import MovingWindowRateLimiter

from config.settings import Settings

log = logging.getLogger(__name__)

Bucket = Literal["post", "page", "lookup", "completion"]


def storage_uri(redis_url: str) -> str:
    """REDIS_URL as ``limits`` names it (``unix://`` is ``redis+unix://`` there)."""
    if redis_url.startswith("unix://"):
        return "redis+" + redis_url
    return redis_url


def tag(value: str) -> str:
    """A short, stable name for a user name or address in keys and logs, without the value itself."""
    return hashlib.sha256(value.encode()).hexdigest()[:12]


@dataclass(frozen=True)
class LoginCheck:
    """Whether a sign-in may be tried now; when not, the seconds until it may."""

    allowed: bool
    wait: float = 0.0


class Limits:
    """The gateway's limits on one shared storage (one per process)."""

    def __init__(self, settings: Settings, storage: Storage) -> None:
        self.settings = settings
        self.limiter = MovingWindowRateLimiter(storage)
        window = max(1, round(settings.web.rate_limit_window_seconds))
        self.buckets: dict[str, RateLimitItem] = {
            "post": RateLimitItemPerSecond(settings.web.rate_limit_posts, window),
            "page": RateLimitItemPerSecond(settings.web.rate_limit_pages, window),
            "lookup": RateLimitItemPerSecond(settings.web.rate_limit_lookups, window),
            "completion": RateLimitItemPerSecond(settings.web.rate_limit_completions, window),
        }
        lock = max(1, round(settings.login.lock_minutes * 60))
        self.account_failures = RateLimitItemPerSecond(settings.login.max_failures_per_account, lock)
        self.address_failures = RateLimitItemPerSecond(settings.login.max_failures_per_address, lock)
        self.lock = RateLimitItemPerSecond(1, lock)
        self._warned = 0.0

    def _unavailable(self, error: Exception) -> None:
        if time.monotonic() - self._warned > 60:
            self._warned = time.monotonic()
            log.warning("rate limits not counted: Redis unreachable (%s)", type(error).__name__)

    def _wait(self, item: RateLimitItem, *identifiers: str) -> float:
        stats = self.limiter.get_window_stats(item, *identifiers)
        return max(1.0, stats.reset_time - time.time())

    def hit(self, bucket: Bucket, client: str) -> float:
        """Count one request of ``client``: 0 when allowed, else the seconds to wait (for Retry-After)."""
        item, who = self.buckets[bucket], tag(client)
        try:
            if self.limiter.hit(item, bucket, who):
                return 0.0
            return self._wait(item, bucket, who)
        except Exception as error:  # Redis down: let the citizen in rather than fail them
            self._unavailable(error)
            return 0.0

    # --- staff sign-ins ---------------------------------------------------------------------------------

    def login_allowed(self, account: str, client: str) -> LoginCheck:
        """Refused while the account or the address is locked, whatever the password."""
        try:
            for kind, who in (("account", tag(account.lower())), ("address", tag(client))):
                if not self.limiter.test(self.lock, "login-lock", kind, who):
                    return LoginCheck(False, self._wait(self.lock, "login-lock", kind, who))
        except Exception as error:
            self._unavailable(error)
        return LoginCheck(True)

    def login_failed(self, account: str, client: str, where: str) -> None:
        """Count a failure; the one past the limit locks the account (or address) for the lock period."""
        limits = (("account", tag(account.lower()), self.account_failures),
                  ("address", tag(client), self.address_failures))  # fmt: skip
        try:
            for kind, who, item in limits:
                self.limiter.hit(item, "login-failures", kind, who)
                if not self.limiter.test(item, "login-failures", kind, who):
                    self.limiter.clear(item, "login-failures", kind, who)
                    if self.limiter.hit(self.lock, "login-lock", kind, who):
                        log.warning(
                            "%s: sign-in locked for %.0f min: %s %s had %d failed sign-ins",
                            where, self.settings.login.lock_minutes, kind, who, item.amount,
                        )  # fmt: skip
        except Exception as error:
            self._unavailable(error)

    def login_succeeded(self, account: str) -> None:
        """A right password (outside a lock) forgives the account's earlier failures."""
        try:
            self.limiter.clear(self.account_failures, "login-failures", "account", tag(account.lower()))
        except Exception as error:
            self._unavailable(error)


def limits_on(settings: Settings, redis_url: str) -> Limits:
    """The limits of these settings, on the Redis every process shares."""
    storage = RedisStorage(
        storage_uri(redis_url),
        key_prefix=f"{settings.queue_name}-limits",
        socket_timeout=2,
        socket_connect_timeout=2,
    )
    return Limits(settings, storage)


_make: Callable[[], Limits] | None = None
_limits: Limits | None = None
_pid: int | None = None


def configure(make: Callable[[], Limits]) -> None:
    """How this process's limits are made: the web application says so when it is created (``pakn.app.web``),
    so that this module, below the app, looks nothing up."""
    global _make, _limits, _pid
    _make, _limits, _pid = make, None, None


def get_limits() -> Limits:
    """This process's limits (made again after a fork: a Redis connection does not survive it)."""
    global _limits, _pid
    if _limits is None or _pid != os.getpid():
        if _make is None:
            raise RuntimeError("no rate limits in this process: pakn.app.web.create_app configures them")
        _limits, _pid = _make(), os.getpid()
    return _limits
