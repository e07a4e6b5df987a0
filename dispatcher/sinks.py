"""Where accepted cases go: the embedded `sql` case store, or an HTTP endpoint with signed POSTs.

Signature (HTTP sink): header ``X-PAKN-Signature: t=<unix seconds>,v1=<hex>`` where
``hex = HMAC-SHA256(CASE_STORE_SECRET, f"{t}." + body)``; ``Idempotency-Key`` carries the case's key.
A receiver recomputes the HMAC over the raw body it received and rejects timestamps older than its
replay window (docs/case-contract.md).
"""

from __future__ import annotations

import hashlib
import hmac
import threading
import time
import tomllib
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType
from typing import Any, Protocol

import httpx
import orjson
from sqlalchemy import Table, insert, select
from sqlalchemy.exc import IntegrityError

from config.settings import Settings
from pakn.db import case_ratings, case_replies, cases, make_engine, utcnow, writer

SIGNATURE_HEADER = "X-PAKN-Signature"


class DeliveryOutcome(StrEnum):
    """How one forward to the case store went: it decides finish, retry later or give up."""

    DELIVERED = "delivered"
    RETRY = "retry"
    PERMANENT = "permanent"


@dataclass(frozen=True, slots=True)
class Delivery:
    outcome: DeliveryOutcome
    detail: str = ""
    attempted: bool = True  # False: not even tried (circuit open); the try is not counted


class CircuitBreaker:
    """Stops hammering a case store that is down, and tries again by itself.

    ``threshold`` consecutive failures open the circuit for ``cooldown`` seconds; then one trial
    request is let through (half-open): success closes the circuit, failure opens it again.
    """

    def __init__(self, threshold: int, cooldown: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.threshold = threshold
        self.cooldown = cooldown
        self.clock = clock
        self._failures = 0
        self._open_until: float | None = None
        self._trial = False
        self._lock = threading.Lock()

    @property
    def state(self) -> str:
        with self._lock:
            if self._open_until is None:
                return "closed"
            return "open" if self.clock() < self._open_until else "half-open"

    def allow(self) -> bool:
        with self._lock:
            if self._open_until is None:
                return True
            if self.clock() < self._open_until or self._trial:
                return False
            self._trial = True  # half-open: exactly one request finds out
            return True

    def record(self, success: bool) -> None:
        with self._lock:
            self._trial = False
            if success:
                self._failures, self._open_until = 0, None
                return
            self._failures += 1
            if self._failures >= self.threshold or self._open_until is not None:
                self._open_until = self.clock() + self.cooldown


Parcel = tuple[str, str, bytes]  # idempotency key, tracking code, body


class Sink(Protocol):
    def deliver_many(self, parcels: Sequence[Parcel]) -> list[Delivery]: ...

    def deliver_replies(self, parcels: Sequence[Parcel]) -> list[Delivery]:
        """Citizens' answers to the case store's questions (``pakn.answer`` bodies), same outcomes."""
        ...

    def deliver_ratings(self, parcels: Sequence[Parcel]) -> list[Delivery]:
        """Citizens' ratings of the answers (``pakn.rating`` bodies), same outcomes."""
        ...


def sign(secret: bytes, timestamp: int, body: bytes) -> str:
    digest = hmac.new(secret, str(timestamp).encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def verify(secret: bytes, header: str, body: bytes, window_seconds: int = 300) -> bool:
    """Check a signature made by ``sign`` (callbacks from the case store use the same scheme)."""
    try:
        parts = dict(item.split("=", 1) for item in header.split(","))
        timestamp = int(parts["t"])
    except (ValueError, KeyError):
        return False
    if abs(time.time() - timestamp) > window_seconds:
        return False
    return hmac.compare_digest(sign(secret, timestamp, body), f"t={timestamp},v1={parts.get('v1', '')}")


class SqlSink:
    """The embedded case store: a ``cases`` table whose unique idempotency key makes delivery idempotent."""

    def __init__(self, url: str) -> None:
        self.engine = make_engine(url)
        self._writer = writer(self.engine)

    def deliver_many(self, parcels: Sequence[Parcel]) -> list[Delivery]:
        """All in one transaction; a key the store already has counts as delivered."""
        return self._store(cases, parcels)

    def deliver_replies(self, parcels: Sequence[Parcel]) -> list[Delivery]:
        """Into the store's ``case_replies`` table, the same way."""
        return self._store(case_replies, parcels)

    def deliver_ratings(self, parcels: Sequence[Parcel]) -> list[Delivery]:
        """Into the store's ``case_ratings`` table, the same way."""
        return self._store(case_ratings, parcels)

    def _store(self, table: Table, parcels: Sequence[Parcel]) -> list[Delivery]:
        if not parcels:
            return []
        now = utcnow()
        for _attempt in range(3):
            try:
                with self._writer.begin() as conn:
                    have = {
                        row.idempotency_key
                        for row in conn.execute(
                            select(table.c.idempotency_key).where(
                                table.c.idempotency_key.in_([key for key, _, _ in parcels])
                            )
                        )
                    }
                    rows = [
                        {
                            "idempotency_key": key,
                            "tracking_code": code,
                            "payload": body.decode(),
                            "received_at": now,
                        }
                        for key, code, body in dict((p[0], p) for p in parcels).values()
                        if key not in have
                    ]
                    if rows:
                        conn.execute(insert(table), rows)
            except IntegrityError:
                continue  # another worker stored one of these keys in between: look again
            except Exception as error:  # the case store's database is down: try later
                return [Delivery(DeliveryOutcome.RETRY, f"{type(error).__name__}: {error}")] * len(parcels)
            return [Delivery(DeliveryOutcome.DELIVERED)] * len(parcels)
        return [Delivery(DeliveryOutcome.RETRY, "conflicting concurrent deliveries")] * len(parcels)


class HttpSink:
    def __init__(
        self,
        url: str,
        secret: bytes,
        timeout: float,
        concurrency: int = 8,
        breaker: CircuitBreaker | None = None,
        replies_url: str | None = None,
        ratings_url: str | None = None,
    ) -> None:
        self.url = url
        self.replies_url = replies_url or url.rstrip("/") + "/answers"
        self.ratings_url = ratings_url or url.rstrip("/") + "/ratings"
        self.secret = secret
        self.client = httpx.Client(timeout=timeout, limits=httpx.Limits(max_connections=concurrency))
        self.breaker = breaker or CircuitBreaker(threshold=5, cooldown=10.0)
        # Several POSTs at once: one case store answer that hangs must not hold up the whole batch.
        self.pool = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="http-sink")

    def deliver_many(self, parcels: Sequence[Parcel]) -> list[Delivery]:
        return list(self.pool.map(lambda parcel: self.deliver(*parcel), parcels))

    def deliver_replies(self, parcels: Sequence[Parcel]) -> list[Delivery]:
        """Signed POSTs of the citizens' answers to ``replies_url`` (CASE_STORE_ANSWERS_URL)."""
        return self._deliver_to(self.replies_url, parcels)

    def deliver_ratings(self, parcels: Sequence[Parcel]) -> list[Delivery]:
        """Signed POSTs of the citizens' ratings to ``ratings_url`` (CASE_STORE_RATINGS_URL)."""
        return self._deliver_to(self.ratings_url, parcels)

    def _deliver_to(self, url: str, parcels: Sequence[Parcel]) -> list[Delivery]:
        return list(self.pool.map(lambda parcel: self.deliver(parcel[0], parcel[1], parcel[2], url), parcels))

    def deliver(self, idempotency_key: str, tracking_code: str, body: bytes, url: str | None = None) -> Delivery:
        if not self.breaker.allow():
            return Delivery(DeliveryOutcome.RETRY, "circuit open: the case store failed repeatedly", attempted=False)
        delivery = self._post(idempotency_key, body) if url is None else self._signed_post(url, idempotency_key, body)
        self.breaker.record(delivery.outcome is not DeliveryOutcome.RETRY)
        return delivery

    def _post(self, idempotency_key: str, body: bytes) -> Delivery:
        return self._signed_post(self.url, idempotency_key, body)

    def _signed_post(self, url: str, idempotency_key: str, body: bytes) -> Delivery:
        headers = {
            "Content-Type": "application/json",
            "Idempotency-Key": idempotency_key,
            SIGNATURE_HEADER: sign(self.secret, int(time.time()), body),
            "User-Agent": "pakn-gateway",
        }
        try:
            response = self.client.post(url, content=body, headers=headers)
        except httpx.HTTPError as error:
            return Delivery(DeliveryOutcome.RETRY, f"{type(error).__name__}: {error}")
        return _delivery_for(response)


def _delivery_for(response: httpx.Response) -> Delivery:
    """2xx and 409 (already have it) delivered; 408/425/429/5xx retried; any other answer is final."""
    status = response.status_code
    if 200 <= status < 300 or status == 409:
        return Delivery(DeliveryOutcome.DELIVERED, str(status))
    detail = f"HTTP {status}: {response.text[:500]}"
    if status in (408, 425, 429) or status >= 500:
        return Delivery(DeliveryOutcome.RETRY, detail)
    return Delivery(DeliveryOutcome.PERMANENT, detail)


class Open311Sink(HttpSink):
    """Cases into an existing Open311 GeoReport v2 system: ``POST {endpoint}/requests.json``.

    GeoReport has no idempotency key: the header is sent anyway, and the tracking code opens the
    description, so a system (or a person) can recognise a case sent twice after a crash.  A
    confidential submitter's identity is not sent: Open311 systems are often public.
    """

    def __init__(
        self,
        endpoint: str,
        api_key: str,
        service_codes: Mapping[str, str],
        default_service_code: str,
        jurisdiction_id: str | None,
        **http: Any,
    ) -> None:
        super().__init__(endpoint.rstrip("/") + "/requests.json", **http)
        self.answers_url_set = bool(http.get("replies_url"))
        self.ratings_url_set = bool(http.get("ratings_url"))
        self.api_key = api_key
        self.service_codes = service_codes
        self.default_service_code = default_service_code
        self.jurisdiction_id = jurisdiction_id

    def form(self, body: bytes) -> dict[str, str]:
        case = orjson.loads(body)
        submitter = case["submitter"]
        place = case.get("place") or {}
        form = {
            "api_key": self.api_key,
            "service_code": self.service_codes.get(case.get("category") or "", self.default_service_code),
            "description": f"[{case['tracking_code']}] {case['content']}"[:4000],
            "address_string": place.get("text") or "",
        }
        if self.jurisdiction_id:
            form["jurisdiction_id"] = self.jurisdiction_id
        if not submitter.get("confidential"):
            name = (submitter.get("name") or "").split()
            optional = {
                "email": submitter.get("email"),
                "phone": submitter.get("phone"),
                "first_name": name[-1] if name else None,  # Vietnamese names: the given name comes last
                "last_name": " ".join(name[:-1]) if len(name) > 1 else None,
            }
            form.update({key: value for key, value in optional.items() if value})
        media = [a["url"] for a in case.get("attachments", []) if a.get("url")]
        if media:
            form["media_url"] = media[0]
        return form

    def deliver_replies(self, parcels: Sequence[Parcel]) -> list[Delivery]:
        """GeoReport v2 has no answers to questions: only to a CASE_STORE_ANSWERS_URL set explicitly."""
        if not self.answers_url_set:
            return [Delivery(DeliveryOutcome.PERMANENT, "open311 sink: set CASE_STORE_ANSWERS_URL")] * len(parcels)
        return super().deliver_replies(parcels)

    def deliver_ratings(self, parcels: Sequence[Parcel]) -> list[Delivery]:
        """GeoReport v2 has no ratings: only to a CASE_STORE_RATINGS_URL set explicitly."""
        if not self.ratings_url_set:
            return [Delivery(DeliveryOutcome.PERMANENT, "open311 sink: set CASE_STORE_RATINGS_URL")] * len(parcels)
        return super().deliver_ratings(parcels)

    def _post(self, idempotency_key: str, body: bytes) -> Delivery:
        try:
            response = self.client.post(self.url, data=self.form(body), headers={"Idempotency-Key": idempotency_key})
        except httpx.HTTPError as error:
            return Delivery(DeliveryOutcome.RETRY, f"{type(error).__name__}: {error}")
        return _delivery_for(response)


def make_sink(settings: Settings) -> Sink:
    if settings.case_store.sink != "sql" and not settings.case_store.secret.get_secret_value():
        raise ValueError(f"CASE_STORE_SINK={settings.case_store.sink} needs CASE_STORE_SECRET (16+ characters)")
    if settings.case_store.sink == "open311":
        if not settings.case_store.url:
            raise ValueError("CASE_STORE_SINK=open311 needs CASE_STORE_URL (the GeoReport v2 endpoint)")
        mapping = tomllib.loads((settings.data_dir / "open311.toml").read_text(encoding="utf-8"))
        return Open311Sink(
            settings.case_store.url,
            settings.case_store.open311_api_key.get_secret_value(),
            MappingProxyType(mapping.get("service_codes", {})),
            mapping.get("default_service_code", "other"),
            settings.case_store.open311_jurisdiction_id,
            secret=settings.case_store.secret.get_secret_value().encode(),
            replies_url=settings.case_store.answers_url,
            ratings_url=settings.case_store.ratings_url,
            timeout=settings.case_store.timeout_seconds,
            concurrency=settings.case_store.concurrency,
            breaker=CircuitBreaker(
                settings.case_store.circuit_failure_threshold, settings.case_store.circuit_cooldown_seconds
            ),
        )
    if settings.case_store.sink == "http":
        if not settings.case_store.url:
            raise ValueError("CASE_STORE_SINK=http needs CASE_STORE_URL")
        return HttpSink(
            settings.case_store.url,
            settings.case_store.secret.get_secret_value().encode(),
            settings.case_store.timeout_seconds,
            concurrency=settings.case_store.concurrency,
            breaker=CircuitBreaker(
                settings.case_store.circuit_failure_threshold, settings.case_store.circuit_cooldown_seconds
            ),
            replies_url=settings.case_store.answers_url,
            ratings_url=settings.case_store.ratings_url,
        )
    return SqlSink(settings.case_store_sql_url)
