"""The RQ jobs: plain functions of journal row ids, idempotent, so running one twice changes nothing.

Each job carries a batch of rows (see pakn/queue.py for why).  It first takes a lease on its rows in the
journal; rows already done, or held by another worker, are skipped.  Whatever happens to a row is
recorded in the journal; the job then tells the queue it is done with its rows.
"""

from __future__ import annotations

import logging
import random
from collections import Counter
from collections.abc import Sequence
from dataclasses import replace
from datetime import timedelta

import orjson

from channels import submission_from_journal
from dispatcher.contract import AttachmentLinks, case_payload, encode, idempotency_key
from dispatcher.sinks import Outcome
from normalizer import Context
from normalizer import normalize as run_normalizer
from normalizer.fields.similarity import contact_keys, content_key
from pakn.db import utcnow
from pakn.journal import StoredAmendment, StoredSubmission, Verdicted
from pakn.notify import notifier_for
from pakn.records import Attachment, EarlierCase, NormalizationResult, NormalizedCase, Severity, Verdict
from pakn.runtime import Runtime, get_runtime

log = logging.getLogger(__name__)


def normalize(submission_ids: Sequence[int]) -> dict[str, int]:
    runtime = get_runtime()
    journal = runtime.journal
    lease = timedelta(seconds=runtime.settings.job_lease_seconds)
    claimed = journal.claim_submissions(submission_ids, lease)
    amendments = journal.amendments_of_many([s.id for s in claimed]) if claimed else {}
    earlier = EarlierCases(runtime)
    context = replace(runtime.context, earlier_cases=earlier.lookup)
    verdicts = []
    for stored in claimed:
        verdict = verdict_for(runtime, context, stored, amendments.get(stored.id, []))
        earlier.add(stored, verdict)
        verdicts.append(verdict)
    recorded = journal.finish_normalizations(verdicts)
    runtime.queues.enqueue_dispatch(recorded.forward_ids)
    runtime.queues.enqueue_notify(recorded.notification_ids)
    runtime.queues.done("normalize", submission_ids)
    # Codes and counts only: submissions may carry personal data, which never goes to the logs.
    counts = Counter(v.result.verdict.value for v in verdicts)
    log.info("normalized %d of %d: %s", len(claimed), len(submission_ids), dict(counts))
    return dict(counts)


class EarlierCases:
    """Repeat candidates for one batch: the journal's recent cases, plus the batch's own accepted ones
    (two copies in one batch would otherwise not see each other)."""

    def __init__(self, runtime: Runtime) -> None:
        self.journal = runtime.journal
        self.since = utcnow() - timedelta(days=runtime.settings.repeat_window_days)
        self.batch: list[tuple[tuple[str, ...], str | None, EarlierCase]] = []

    def lookup(self, contacts: tuple[str, ...], content: str) -> list[EarlierCase]:
        found = self.journal.earlier_cases(contacts, content or None, self.since)
        found.extend(
            case for keys, key, case in self.batch if (set(keys) & set(contacts)) or (content and key == content)
        )
        return found

    def add(self, stored: StoredSubmission, verdict: Verdicted) -> None:
        if verdict.result.verdict is Verdict.ACCEPTED:
            keys = (verdict.contact_key,) if verdict.contact_key else ()
            case = EarlierCase(
                stored.tracking_code, stored.received_at, verdict.contact_key, verdict.result.case.content
            )
            self.batch.append((keys, verdict.content_key, case))


def verdict_for(
    runtime: Runtime, context: Context, stored: StoredSubmission, amendments: list[StoredAmendment]
) -> Verdicted:
    attachments: tuple[Attachment, ...] = ()
    try:
        submission = submission_from_journal(stored, amendments)
    except Exception as error:  # a raw payload its channel cannot read: rejected, the original kept
        log.warning("submission %s unreadable: %s", stored.tracking_code, type(error).__name__)
        finding = runtime.context.finding("channel", "unreadable", Severity.REJECT)
        result = NormalizationResult(Verdict.REJECTED, (finding,), NormalizedCase())
    else:
        result = run_normalizer(submission, context)
        attachments = submission.attachments
    payload = key = None
    if result.verdict is Verdict.ACCEPTED:
        links = AttachmentLinks(
            runtime.settings.base_url, runtime.settings.case_store_secret.get_secret_value().encode()
        )
        payload = encode(case_payload(stored, result, attachments, links)).decode()
        key = idempotency_key(stored)
    contacts = contact_keys(result.case.phone, result.case.email)
    return Verdicted(
        stored.id,
        result,
        payload,
        key,
        notification_for(runtime, result, stored.tracking_code),
        contact_key=contacts[0] if contacts else None,
        content_key=content_key(result.case.content),
    )


def notification_for(runtime: Runtime, result: NormalizationResult, tracking_code: str) -> tuple[str, str]:
    """What the citizen is told about the verdict, from the message catalog."""
    messages = runtime.catalog.messages
    if result.verdict is Verdict.ACCEPTED:
        return ("accepted", messages.text("notification", "accepted", tracking_code=tracking_code))
    reasons = "\n".join(f"- {f.message}" for f in result.findings if f.severity is not Severity.INFO)
    kind = result.verdict.value
    return (kind, messages.text("notification", kind, tracking_code=tracking_code, reasons=reasons))


def backoff(attempt: int, base: float, cap: float) -> timedelta:
    """Exponential backoff with full jitter (AWS architecture blog): spreads the retries of many cases."""
    return timedelta(seconds=random.uniform(0, min(cap, base * 2 ** (attempt - 1))))


def dispatch(forward_ids: Sequence[int]) -> dict[str, int]:
    runtime = get_runtime()
    settings = runtime.settings
    journal = runtime.journal
    forwards = journal.claim_forwards(forward_ids, timedelta(seconds=settings.job_lease_seconds))
    deliveries = runtime.sink.deliver_many(
        [(f.idempotency_key, orjson.loads(f.payload)["tracking_code"], f.payload.encode()) for f in forwards]
    )
    delivered = [f for f, d in zip(forwards, deliveries, strict=True) if d.outcome is Outcome.DELIVERED]
    journal.forwards_delivered(delivered)
    outcomes: Counter[str] = Counter(delivered=len(delivered))
    for forward, delivery in zip(forwards, deliveries, strict=True):
        if delivery.outcome is Outcome.DELIVERED:
            continue
        if not delivery.attempted:  # circuit open: wait for it, without spending one of the case's tries
            journal.forward_retry_later(
                forward, delivery.detail, timedelta(seconds=settings.circuit_cooldown_seconds), refund=True
            )
            outcomes["deferred"] += 1
        elif delivery.outcome is Outcome.RETRY and forward.attempts < settings.forward_max_attempts:
            delay = backoff(
                forward.attempts, settings.forward_backoff_base_seconds, settings.forward_backoff_max_seconds
            )
            journal.forward_retry_later(forward, delivery.detail, delay)
            outcomes["retry"] += 1
            log.warning("forward %d: %s; retry in %.1fs", forward.id, delivery.detail, delay.total_seconds())
        else:
            journal.forward_failed(forward, delivery.detail)
            outcomes["failed"] += 1
            log.error("forward %d failed after %d attempts: %s", forward.id, forward.attempts, delivery.detail)
    runtime.queues.done("dispatch", forward_ids)
    return dict(outcomes)


def notify(notification_ids: Sequence[int]) -> dict[str, int]:
    """Send citizens their messages, each on the channel their submission came from."""
    runtime = get_runtime()
    settings = runtime.settings
    journal = runtime.journal
    claimed = journal.claim_notifications(notification_ids, timedelta(seconds=settings.job_lease_seconds))
    sent: list[int] = []
    outcomes: Counter[str] = Counter()
    for notification in claimed:
        try:
            notifier_for(notification.channel, runtime).send(notification)
        except Exception as error:
            detail = f"{type(error).__name__}: {error}"
            retry = notification.attempts < settings.notify_max_attempts
            delay = (
                backoff(
                    notification.attempts, settings.forward_backoff_base_seconds, settings.forward_backoff_max_seconds
                )
                if retry
                else None
            )
            journal.notification_retry_later(notification.id, detail, delay)
            outcomes["retry" if retry else "failed"] += 1
            log.warning("message %d for %s not sent: %s", notification.id, notification.channel.value, detail)
        else:
            sent.append(notification.id)
    journal.notifications_sent(sent)
    outcomes["sent"] = len(sent)
    runtime.queues.done("notify", notification_ids)
    return dict(outcomes)
