"""A case store stand-in: a real HTTP server that records what it receives, the way a downstream
system following docs/case-contract.md would (signature checked, duplicates recognised by key).

Its failure plan makes it answer 500, hang past the client's timeout, or refuse a key for good, so
tests and benchmarks can prove retries and exactly-once delivery.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import random
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from tests.standins.server import LocalServer, QuietHandler


def verify_signature(secret: bytes, header: str, body: bytes, window_seconds: int = 300) -> bool:
    """The receiver's recipe from docs/case-contract.md, written from the doc, not from our code."""
    try:
        parts = dict(item.split("=", 1) for item in header.split(","))
        timestamp = int(parts["t"])
    except (ValueError, KeyError):
        return False
    if abs(time.time() - timestamp) > window_seconds:
        return False
    expected = hmac.new(secret, f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, parts.get("v1", ""))


@dataclass
class FailurePlan:
    first_failures: int = 0  # answer 500 to the first N POSTs
    error_rate: float = 0.0  # then answer 500 to this share of POSTs
    hang_rate: float = 0.0  # and hang this long past the timeout on this share
    hang_seconds: float = 0.0
    reject_status: int | None = None  # answer this (e.g. 400) to every POST


@dataclass
class CaseStoreStandIn(LocalServer):
    secret: bytes
    plan: FailurePlan = field(default_factory=FailurePlan)
    seed: int = 7

    def __post_init__(self) -> None:
        self.cases: dict[str, dict[str, Any]] = {}
        self.arrivals: Counter[str] = Counter()
        self.posts = 0
        self.bad_signatures = 0  # complete bodies whose signature is wrong: a real signing bug
        self.cut_off = 0  # bodies that ended early (sender killed mid-send): nobody could check those
        self.lock = threading.Lock()
        self.random = random.Random(self.seed)
        self.arrival_times: dict[str, float] = {}
        store = self

        class Handler(QuietHandler):
            def do_POST(self) -> None:
                declared = int(self.headers.get("Content-Length") or 0)
                try:
                    body = self.body()
                except OSError:  # reset by a sender killed mid-send
                    body = b""
                if len(body) < declared:  # the sender went away mid-body: nobody is left to answer
                    store.count_cut_off()
                    self.close_connection = True
                    return
                status = store.receive(self.headers, body)
                if status is None:  # hang: answer nothing until the client has given up
                    time.sleep(store.plan.hang_seconds)
                    status = 503
                try:
                    self.reply(status, content_type=None)
                except OSError:  # the sender went away (timed out, or killed) before the answer
                    self.close_connection = True

        self.serve(Handler)

    @property
    def url(self) -> str:
        return f"{self.base_url}/cases"

    def count_cut_off(self) -> None:
        with self.lock:
            self.posts += 1
            self.cut_off += 1

    def receive(self, headers: Any, body: bytes) -> int | None:
        with self.lock:
            self.posts += 1
            if not verify_signature(self.secret, headers.get("X-PAKN-Signature", ""), body):
                if _complete_json(body):
                    self.bad_signatures += 1
                else:  # a body cut short (e.g. chunked, sender killed) is not a signing bug
                    self.cut_off += 1
                return 401
            if self.plan.reject_status is not None:
                return self.plan.reject_status
            if self.posts <= self.plan.first_failures:
                return 500
            roll = self.random.random()
            if roll < self.plan.hang_rate:
                return None
            if roll < self.plan.hang_rate + self.plan.error_rate:
                return 500
            key = headers.get("Idempotency-Key", "")
            self.arrivals[key] += 1
            if key in self.cases:
                return 409
            self.cases[key] = json.loads(body)
            self.arrival_times[key] = time.time()
            return 201

    @property
    def duplicates(self) -> int:
        """Deliveries of a key the store already had (answered 409, never stored twice)."""
        return sum(count - 1 for count in self.arrivals.values())


def _complete_json(body: bytes) -> bool:
    try:
        json.loads(body)
    except ValueError:
        return False
    return True
