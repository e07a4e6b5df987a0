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

import jsonschema

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
    # A receiver that validates bodies with this JSON schema (e.g. docs/case-schema-1.0.json, which refuses
    # unknown keys) answers 422 to a body that fails it; None: it ignores keys it does not know, as the doc asks.
    schema: dict[str, Any] | None = None

    def __post_init__(self) -> None:
        self.cases: dict[str, dict[str, Any]] = {}
        # Citizens' answers to the store's questions (POST …/answers), by idempotency key, and every arrival.
        self.answers: dict[str, dict[str, Any]] = {}
        self.answer_arrivals: Counter[str] = Counter()
        # Citizens' ratings of the answers (POST …/ratings), by idempotency key, and every arrival.
        self.ratings: dict[str, dict[str, Any]] = {}
        self.rating_arrivals: Counter[str] = Counter()
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
                path = self.path.rstrip("/")
                kind = "answer" if path.endswith("/answers") else "rating" if path.endswith("/ratings") else "case"
                status = store.receive(self.headers, body, kind=kind)
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

    @property
    def answers_url(self) -> str:
        return f"{self.url}/answers"

    @property
    def ratings_url(self) -> str:
        return f"{self.url}/ratings"

    def receive(self, headers: Any, body: bytes, kind: str = "case") -> int | None:
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
            if self.schema is not None and not _valid(self.schema, body):
                return 422
            key = headers.get("Idempotency-Key", "")
            if kind != "case":  # an answer or a rating: kept apart from the cases, one per key
                kept, arrivals = (
                    (self.answers, self.answer_arrivals)
                    if kind == "answer"
                    else (
                        self.ratings,
                        self.rating_arrivals,
                    )
                )
                arrivals[key] += 1
                if key in kept:
                    return 409
                kept[key] = json.loads(body)
                return 201
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


def _valid(schema: dict[str, Any], body: bytes) -> bool:
    validator = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())
    return validator.is_valid(json.loads(body))
