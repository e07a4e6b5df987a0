"""The RQ jobs: plain functions of a journal row id, idempotent, so running one twice changes nothing.

Each job first takes a lease on its row in the journal; a row already done, or held by another
worker, makes the job a no-op.
"""

from __future__ import annotations

import logging
import random
from datetime import timedelta

import orjson

from channels import submission_from_journal
from dispatcher.contract import case_payload, encode, idempotency_key
from dispatcher.sinks import Outcome
from normalizer import normalize as run_normalizer
from pakn.records import NormalizationResult, Verdict
from pakn.runtime import get_runtime

log = logging.getLogger(__name__)


def normalize(submission_id: int) -> str:
    runtime = get_runtime()
    journal = runtime.journal
    stored = journal.claim_submission(submission_id, timedelta(seconds=runtime.settings.job_lease_seconds))
    if stored is None:
        return "skipped"
    submission = submission_from_journal(stored, journal.amendments_of(submission_id))
    result = run_normalizer(submission, runtime.context)
    payload = key = None
    if result.verdict is Verdict.ACCEPTED:
        payload = encode(case_payload(stored, result)).decode()
        key = idempotency_key(stored)
    forward_id = journal.finish_normalization(
        submission_id, result, payload, key, notification_for(result, stored.tracking_code)
    )
    if forward_id is not None:
        runtime.queues.enqueue_dispatch([forward_id])
    # Codes and counts only: submissions may carry personal data, which never goes to the logs.
    log.info(
        "normalized %s: %s %s", stored.tracking_code, result.verdict.value, [f.code for f in result.findings]
    )
    return result.verdict.value


def notification_for(result: NormalizationResult, tracking_code: str) -> tuple[str, str] | None:
    """What the citizen is told about the verdict, from the message catalog."""
    messages = get_runtime().catalog.messages
    if result.verdict is Verdict.ACCEPTED:
        return ("accepted", messages.text("notification", "accepted", tracking_code=tracking_code))
    reasons = "\n".join(f"- {f.message}" for f in result.findings if f.severity.value != "info")
    kind = result.verdict.value
    return (kind, messages.text("notification", kind, tracking_code=tracking_code, reasons=reasons))


def backoff(attempt: int, base: float, cap: float) -> timedelta:
    """Exponential backoff with full jitter (AWS architecture blog): spreads retries of many cases."""
    return timedelta(seconds=random.uniform(0, min(cap, base * 2 ** (attempt - 1))))


def dispatch(forward_id: int) -> str:
    runtime = get_runtime()
    settings = runtime.settings
    journal = runtime.journal
    forward = journal.claim_forward(forward_id, timedelta(seconds=settings.job_lease_seconds))
    if forward is None:
        return "skipped"
    tracking_code = orjson.loads(forward.payload)["tracking_code"]
    delivery = runtime.sink.deliver(forward.idempotency_key, tracking_code, forward.payload.encode())
    if delivery.outcome is Outcome.DELIVERED:
        stored = journal.get(forward.submission_id)
        journal.forward_delivered(forward, stored.received_at if stored else forward.created_at)
        return "delivered"
    if delivery.outcome is Outcome.RETRY and forward.attempts < settings.forward_max_attempts:
        delay = backoff(
            forward.attempts, settings.forward_backoff_base_seconds, settings.forward_backoff_max_seconds
        )
        journal.forward_retry_later(forward, delivery.detail, delay)
        log.warning(
            "forward %s failed (%s), retry in %.1fs", tracking_code, delivery.detail, delay.total_seconds()
        )
        return "retry"
    journal.forward_failed(forward, delivery.detail)
    log.error(
        "forward %s failed for good after %d attempts: %s", tracking_code, forward.attempts, delivery.detail
    )
    return "failed"
