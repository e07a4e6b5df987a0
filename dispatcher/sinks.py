"""Where accepted cases go: the embedded `sql` case store, or an HTTP endpoint with signed POSTs.

Signature (HTTP sink): header ``X-PAKN-Signature: t=<unix seconds>,v1=<hex>`` where
``hex = HMAC-SHA256(CASE_STORE_SECRET, f"{t}." + body)``; ``Idempotency-Key`` carries the case's key.
A receiver recomputes the HMAC over the raw body it received and rejects timestamps older than its
replay window (docs/case-contract.md).
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

import httpx
from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError

from config.settings import Settings
from pakn.db import cases, make_engine, utcnow, writer

SIGNATURE_HEADER = "X-PAKN-Signature"


class Outcome(StrEnum):
    DELIVERED = "delivered"
    RETRY = "retry"
    PERMANENT = "permanent"


@dataclass(frozen=True, slots=True)
class Delivery:
    outcome: Outcome
    detail: str = ""


Parcel = tuple[str, str, bytes]  # idempotency key, tracking code, body


class Sink(Protocol):
    def deliver_many(self, parcels: Sequence[Parcel]) -> list[Delivery]: ...


def sign(secret: bytes, timestamp: int, body: bytes) -> str:
    digest = hmac.new(secret, str(timestamp).encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


class SqlSink:
    """The embedded case store: a ``cases`` table whose unique idempotency key makes delivery idempotent."""

    def __init__(self, url: str) -> None:
        self.engine = make_engine(url)
        self._writer = writer(self.engine)

    def deliver_many(self, parcels: Sequence[Parcel]) -> list[Delivery]:
        """All in one transaction; a key the store already has counts as delivered."""
        if not parcels:
            return []
        now = utcnow()
        for _attempt in range(3):
            try:
                with self._writer.begin() as conn:
                    have = {
                        row.idempotency_key
                        for row in conn.execute(
                            select(cases.c.idempotency_key).where(
                                cases.c.idempotency_key.in_([key for key, _, _ in parcels])
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
                        conn.execute(insert(cases), rows)
            except IntegrityError:
                continue  # another worker stored one of these keys in between: look again
            except Exception as error:  # the case store's database is down: try later
                return [Delivery(Outcome.RETRY, f"{type(error).__name__}: {error}")] * len(parcels)
            return [Delivery(Outcome.DELIVERED)] * len(parcels)
        return [Delivery(Outcome.RETRY, "conflicting concurrent deliveries")] * len(parcels)


class HttpSink:
    def __init__(self, url: str, secret: bytes, timeout: float) -> None:
        self.url = url
        self.secret = secret
        self.client = httpx.Client(timeout=timeout)

    def deliver_many(self, parcels: Sequence[Parcel]) -> list[Delivery]:
        return [self.deliver(key, code, body) for key, code, body in parcels]

    def deliver(self, idempotency_key: str, tracking_code: str, body: bytes) -> Delivery:
        headers = {
            "Content-Type": "application/json",
            "Idempotency-Key": idempotency_key,
            SIGNATURE_HEADER: sign(self.secret, int(time.time()), body),
            "User-Agent": "pakn-gateway",
        }
        try:
            response = self.client.post(self.url, content=body, headers=headers)
        except httpx.HTTPError as error:
            return Delivery(Outcome.RETRY, f"{type(error).__name__}: {error}")
        status = response.status_code
        if 200 <= status < 300 or status == 409:
            return Delivery(Outcome.DELIVERED, str(status))
        detail = f"HTTP {status}: {response.text[:500]}"
        if status in (408, 425, 429) or status >= 500:
            return Delivery(Outcome.RETRY, detail)
        return Delivery(Outcome.PERMANENT, detail)


def make_sink(settings: Settings) -> Sink:
    if settings.case_store_sink == "http":
        if not settings.case_store_url:
            raise ValueError("CASE_STORE_SINK=http needs CASE_STORE_URL")
        return HttpSink(
            settings.case_store_url,
            settings.case_store_secret.get_secret_value().encode(),
            settings.case_store_timeout_seconds,
        )
    return SqlSink(settings.case_store_sql_url)
