"""The RQ jobs: plain functions of journal row ids and what they work with, idempotent, so running one
twice changes nothing.

What a job works with (journal, settings, queues, sink, …) is passed in as ``WorkerDeps``: the worker
process builds it once (``pakn.app.runtime``) and its RQ entry points (``pakn.app.worker_jobs``) hand it to these
functions, so nothing here looks anything up.

Each job carries a batch of rows (see pakn/queue.py for why).  It first takes a lease on its rows in the
journal; rows already done, or held by another worker, are skipped.  Whatever happens to a row is
recorded in the journal; the job then tells the queue it is done with its rows.
"""

from __future__ import annotations

import logging
import os
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import timedelta
from typing import Protocol

import orjson

from channels.reading import Readers
from config.catalog import Catalog
from dispatcher import review
from dispatcher.contract import (
    AttachmentLinks,
    case_payload,
    encode,
    idempotency_key,
    rating_payload,
    reply_payload,
)
from dispatcher.sinks import Delivery, DeliveryOutcome, Sink
from normalizer import Context
from normalizer import normalize as run_normalizer
from normalizer.fields.contacts import normalize_email
from normalizer.fields.phones import normalize_phone
from normalizer.fields.similarity import contact_keys, content_key
from normalizer.text import decode_bytes, repair_text
from pakn.contact_changes import ContactChanges
from pakn.db import utcnow
from pakn.deps import QueuedDeps
from pakn.journal import Journal
from pakn.journal.leases import RetryPolicy
from pakn.notify import Notifier, NotSendable, as_sent
from pakn.records import (
    NOT_SENDABLE,
    Attachment,
    Channel,
    EarlierCase,
    NormalizationResult,
    NormalizedCase,
    Recorded,
    Severity,
    StoredAmendment,
    StoredSubmission,
    Submission,
    Verdict,
    Verdicted,
)

log = logging.getLogger(__name__)


class WorkerDeps(QueuedDeps, Protocol):
    """What the jobs work with, built once per worker process (``pakn.app.runtime.Runtime`` is one)."""

    @property
    def catalog(self) -> Catalog: ...

    @property
    def context(self) -> Context: ...

    @property
    def contact_changes(self) -> ContactChanges: ...

    @property
    def sink(self) -> Sink: ...

    def notifier(self, channel: Channel) -> Notifier:
        """The notifier of a channel (``pakn.notify.NOTIFIERS``)."""
        ...


def normalize(submission_ids: Sequence[int], runtime: WorkerDeps, readers: Readers) -> dict[str, int]:
    """Verdicts for a batch.  A submission whose processing raises fails alone: the others get their
    verdicts, it is retried later or given up (``_fail_or_retry``)."""
    journal = runtime.journal
    settings = runtime.settings
    lease = timedelta(seconds=settings.job_lease_seconds)
    claimed = journal.normalization.claim_submissions(submission_ids, lease)
    failures: list[tuple[StoredSubmission, str]] = []
    # Taken more often than allowed without an outcome: its jobs died (worker killed, job timeout).
    policy = retry_policy(settings.normalize_max_attempts, runtime)
    for stored in claimed:
        never_finished = policy.never_finished(stored.attempts)
        if never_finished:
            failures.append((stored, never_finished))
    exhausted = {stored.id for stored, _ in failures}
    claimed = [stored for stored in claimed if stored.id not in exhausted]
    # A row taken before without an outcome may be the one that kills its job: it runs in a job of its own,
    # so that the rows of a batch it took down are not counted as dying with it again.
    alone = {stored.id for stored in claimed if stored.attempts > 1} if len(claimed) > 1 else set()
    if alone:
        journal.normalization.release_submissions(sorted(alone))
        for submission_id in sorted(alone):
            runtime.queues.enqueue_normalize([submission_id])
        claimed = [stored for stored in claimed if stored.id not in alone]
    amendments = journal.reading.amendments_of_many([s.id for s in claimed]) if claimed else {}
    earlier = EarlierCases(runtime)
    context = replace(runtime.context, earlier_cases=earlier.lookup)
    # Contact changes asked for by completions: the contact on file until confirmed (pakn.contact_changes).
    pinned = runtime.contact_changes.pinned_of_many([s.id for s in claimed if s.id in amendments]) if amendments else {}
    parsed = [
        (stored, parse(runtime, readers, stored, amendments.get(stored.id, []), pinned.get(stored.id)))
        for stored in claimed
    ]
    try:
        earlier.prefetch([submission for _, submission in parsed if not isinstance(submission, Exception)])
    except Exception:  # only an optimisation: each lookup fetches what it needs
        log.warning("prefetch of earlier cases failed", exc_info=True)
    verdicts = []
    for stored, submission in parsed:
        try:
            _failpoint(stored)
            verdict = verdict_for(runtime, context, stored, submission)
        except Exception as error:
            failures.append((stored, _describe(error)))
            continue
        earlier.add(stored, verdict)
        verdicts.append(verdict)
    recorded, unrecorded = _record(journal, verdicts)
    by_id = {stored.id: stored for stored in claimed}
    failures.extend((by_id[submission_id], error) for submission_id, error in unrecorded.items())
    recorded.notification_ids.extend(_fail_or_retry(runtime, policy, failures))
    runtime.queues.enqueue_dispatch(recorded.forward_ids)
    runtime.queues.enqueue_notify(recorded.notification_ids)
    runtime.queues.done("normalize", [i for i in submission_ids if i not in alone])
    # Codes and counts only: submissions may carry personal data, which never goes to the logs.
    counts = Counter(v.result.verdict.value for v in verdicts if v.submission_id not in unrecorded)
    if failures:
        counts["error"] = len(failures)
    log.info("normalized %d of %d: %s", len(claimed), len(submission_ids), dict(counts))
    return dict(counts)


def _record(journal: Journal, verdicts: list[Verdicted]) -> tuple[Recorded, dict[int, str]]:
    """Record the batch's verdicts in one transaction; if that raises, each alone, so one verdict that
    cannot be written (the journal refuses a value) keeps no other citizen from their answer.

    Returns what was recorded and the submissions whose verdict could not be, with the error.
    """
    try:
        return journal.normalization.finish_normalizations(verdicts), {}
    except Exception as error:
        if len(verdicts) <= 1:
            return Recorded([], []), {v.submission_id: _describe(error) for v in verdicts}
        log.warning("recording %d verdicts failed (%s); one by one", len(verdicts), type(error).__name__)
    recorded = Recorded([], [])
    failed: dict[int, str] = {}
    for verdict in verdicts:
        try:
            one = journal.normalization.finish_normalizations([verdict])
        except Exception as error:
            failed[verdict.submission_id] = _describe(error)
            continue
        recorded.forward_ids.extend(one.forward_ids)
        recorded.notification_ids.extend(one.notification_ids)
    return recorded, failed


def _fail_or_retry(
    runtime: WorkerDeps, policy: RetryPolicy, failures: Sequence[tuple[StoredSubmission, str]]
) -> list[int]:
    """Each failed submission is tried again later (jittered backoff), or past NORMALIZE_MAX_ATTEMPTS marked
    ``failed`` with its error, its citizen told that staff will look at it.  Returns messages to send."""
    messages = runtime.catalog.messages
    notification_ids: list[int] = []
    for stored, error in failures:
        delay = policy.retry_in(stored.attempts)
        if delay is not None:
            runtime.journal.normalization.normalization_failed(stored.id, error, delay)
            # The error's type only: its text may quote what the citizen wrote (it is kept in the journal).
            log.warning(
                "submission %s failed (attempt %d): %s; retry in %.1fs",
                stored.tracking_code,
                stored.attempts,
                error.split(":", 1)[0],
                delay.total_seconds(),
            )
            continue
        text = messages.text("notification", "under_review", tracking_code=stored.tracking_code)
        notification_id = runtime.journal.normalization.normalization_failed(
            stored.id, error, None, ("under_review", text)
        )
        if notification_id is not None:
            notification_ids.append(notification_id)
        log.error(
            "submission %s failed after %d attempts: %s", stored.tracking_code, stored.attempts, error.split(":", 1)[0]
        )
    return notification_ids


def _describe(error: BaseException) -> str:
    """An error as text the journal and the logs can always take (its message may hold surrogates)."""
    return f"{type(error).__name__}: {error}".encode("utf-8", "backslashreplace").decode("utf-8")


def _failpoint(stored: StoredSubmission) -> None:
    """Tests only: a submission whose raw payload holds the text of PAKN_TEST_FAIL_NORMALIZE raises, of
    PAKN_TEST_CRASH_NORMALIZE kills its worker, to prove one poisoned submission fails alone.  Read from
    the environment, never from the settings."""
    raise_on, crash_on = os.environ.get("PAKN_TEST_FAIL_NORMALIZE"), os.environ.get("PAKN_TEST_CRASH_NORMALIZE")
    if raise_on and raise_on.encode() in stored.raw:
        raise RuntimeError("failpoint PAKN_TEST_FAIL_NORMALIZE")
    if crash_on and crash_on.encode() in stored.raw:
        os._exit(70)


class EarlierCases:
    """Repeat candidates for one batch: the journal's recent cases, plus the batch's own accepted ones
    (two copies in one batch would otherwise not see each other).

    One query fetches the candidates of the whole batch, by the keys its explicit fields give (phone,
    email, content); a key the rules derive otherwise (a phone found in the text) is looked up on its
    own.  Either way the rule sees exactly the cases one query per submission would return.
    """

    def __init__(self, runtime: WorkerDeps) -> None:
        self.journal = runtime.journal
        self.since = utcnow() - timedelta(days=runtime.settings.repeat_window_days)
        self.batch: list[EarlierCase] = []
        self.fetched: list[EarlierCase] = []
        self.known_contacts: set[str] = set()
        self.known_contents: set[str] = set()

    def prefetch(self, batch: Sequence[Submission]) -> None:
        contacts: set[str] = set()
        contents: set[str] = set()
        for submission in batch:
            fields = submission.fields
            phone = normalize_phone(_text(fields.phone)).e164 if fields.phone else None
            email = normalize_email(_text(fields.email)) if fields.email else None
            contacts.update(contact_keys(phone, email))
            key = content_key(_text(fields.content)) if fields.content else None
            if key:
                contents.add(key)
        self._fetch(contacts, contents)

    def _fetch(self, contacts: set[str], contents: set[str]) -> None:
        contacts -= self.known_contacts
        contents -= self.known_contents
        if contacts or contents:
            self.fetched.extend(self.journal.reading.earlier_cases(sorted(contacts), sorted(contents), self.since))
            self.known_contacts |= contacts
            self.known_contents |= contents

    def lookup(self, contacts: tuple[str, ...], content: str) -> list[EarlierCase]:
        self._fetch(set(contacts), {content} if content else set())
        wanted = set(contacts)
        return [
            case
            for case in (*self.fetched, *self.batch)
            if case.contact_key in wanted or (content and case.content_key == content)
        ]

    def add(self, stored: StoredSubmission, verdict: Verdicted) -> None:
        if verdict.result.verdict is Verdict.ACCEPTED:
            self.batch.append(
                EarlierCase(
                    stored.tracking_code,
                    stored.received_at,
                    verdict.contact_key,
                    verdict.result.case.content,
                    verdict.content_key,
                )
            )


def _text(value: str | bytes | None) -> str:
    if isinstance(value, bytes):
        return decode_bytes(value).text
    return repair_text(value or "").text


def parse(
    runtime: WorkerDeps,
    readers: Readers,
    stored: StoredSubmission,
    amendments: list[StoredAmendment],
    pinned: Mapping[str, str] | None = None,
) -> Submission | Exception:
    """The submission its channel reads from the journaled bytes, or why it could not.

    Each payload is parsed once, for the channel's own work in the worker too (a mail's attachments)."""
    try:
        return readers.submission_in_worker(runtime.journal.engine, runtime.settings, stored, amendments, pinned)
    except Exception as error:  # a raw payload its channel cannot read: rejected below, the original kept
        return error


def verdict_for(
    runtime: WorkerDeps, context: Context, stored: StoredSubmission, submission: Submission | Exception
) -> Verdicted:
    """The verdict on one submission, with the channel's own observations.

    Mail no person wrote (``SubmissionFields.automatic``: a bounce, an auto-reply, a newsletter, a notice,
    mail from our own address) is not judged by the rules: it is ``rejected`` with one ``automatic-mail``
    finding naming its kind, and nobody is told (no notification: an answer would only feed a loop).  The
    journal keeps it; it is never forwarded; ``pakn.reports`` counts it by kind, apart from citizens' mail.
    A rejected verdict with a marking finding needs no new status, column or migration, and every place
    that handles ``rejected`` (web status page, replay, sweeper) already does the right thing with it.

    Defects the channel found (``SubmissionFields.defects``: broken MIME, damaged text or files) become
    INFO findings: the IT centre sees them with the case; they change no verdict.
    """
    attachments: tuple[Attachment, ...] = ()
    if isinstance(submission, Exception):
        log.warning("submission %s unreadable: %s", stored.tracking_code, type(submission).__name__)
        finding = runtime.context.finding("channel", "unreadable", Severity.REJECT)
        result = NormalizationResult(Verdict.REJECTED, (finding,), NormalizedCase())
    elif submission.fields.automatic:
        kind = submission.fields.automatic
        finding = runtime.context.finding(
            "channel", "automatic-mail", Severity.REJECT, detail={"kind": kind}, about=kind
        )
        result = NormalizationResult(Verdict.REJECTED, (finding,), NormalizedCase())
        return Verdicted(stored.id, result)
    else:
        result = run_normalizer(submission, context)
        attachments = submission.attachments
        if submission.fields.defects:
            noted = tuple(
                runtime.context.finding(
                    "channel", d.code, Severity.INFO, detail={"about": d.about} if d.about else None, about=d.about
                )
                for d in submission.fields.defects
            )
            result = NormalizationResult(result.verdict, result.findings + noted, result.case)
    payload = key = None
    if result.verdict is Verdict.ACCEPTED:
        links = AttachmentLinks(
            runtime.settings.base_url, runtime.settings.case_store.secret.get_secret_value().encode()
        )
        version = runtime.settings.case_store.schema_version
        payload = encode(case_payload(stored, result, attachments, links, version)).decode()
        key = idempotency_key(stored)
    contacts = contact_keys(result.case.phone, result.case.email)
    held: tuple[str, ...] = ()
    if result.verdict is Verdict.ACCEPTED:
        categories = runtime.context.categories
        held = review.held_for(runtime.settings.review_mode, result.case, categories.fallback, categories)
    return Verdicted(
        stored.id,
        result,
        payload,
        key,
        # A held case's citizen is told the outcome once a person decided it (pakn.journal.review).
        None if held else notification_for(runtime, result, stored.tracking_code),
        contact_key=contacts[0] if contacts else None,
        content_key=content_key(result.case.content),
        held_for=held,
    )


def notification_for(runtime: WorkerDeps, result: NormalizationResult, tracking_code: str) -> tuple[str, str]:
    """What the citizen is told about the verdict, from the message catalog."""
    messages = runtime.catalog.messages
    if result.verdict is Verdict.ACCEPTED:
        return ("accepted", messages.text("notification", "accepted", tracking_code=tracking_code))
    reasons = "\n".join(f"- {f.message}" for f in result.findings if f.severity is not Severity.INFO)
    kind = result.verdict.value
    return (kind, messages.text("notification", kind, tracking_code=tracking_code, reasons=reasons))


def retry_policy(max_attempts: int, runtime: WorkerDeps) -> RetryPolicy:
    """The attempts one kind of work gets (its own setting), with the backoff all kinds share."""
    settings = runtime.settings
    return RetryPolicy(
        max_attempts, settings.case_store.forward_backoff_base_seconds, settings.case_store.forward_backoff_max_seconds
    )


def dispatch(forward_ids: Sequence[int], runtime: WorkerDeps) -> dict[str, int]:
    """Forward a batch of accepted cases to the case store, each retried with backoff or failed."""
    settings = runtime.settings
    journal = runtime.journal
    policy = retry_policy(settings.case_store.forward_max_attempts, runtime)
    forwards = journal.forwards.claim_forwards(forward_ids, timedelta(seconds=settings.job_lease_seconds))
    # Taken more often than allowed without an outcome: its jobs died (worker killed, job timeout).
    never_finished = {f.id: error for f in forwards if (error := policy.never_finished(f.attempts))}
    exhausted = [f for f in forwards if f.id in never_finished]
    for forward in exhausted:
        journal.forwards.forward_failed(forward, never_finished[forward.id])
        log.error("forward %d failed: its job never finished", forward.id)
    forwards = [f for f in forwards if f.id not in never_finished]
    parcels = {}
    for forward in forwards:
        try:  # each forward alone: one payload that cannot be read never holds back the others
            parcels[forward.id] = (
                forward.idempotency_key,
                orjson.loads(forward.payload)["tracking_code"],
                forward.payload.encode(),
            )
        except Exception as error:
            journal.forwards.forward_failed(forward, _describe(error))
            exhausted.append(forward)
            log.error("forward %d failed: its payload cannot be read (%s)", forward.id, type(error).__name__)
    forwards = [f for f in forwards if f.id in parcels]
    try:
        deliveries = runtime.sink.deliver_many([parcels[f.id] for f in forwards])
    except Exception as error:  # the sink itself broke (its database is down): a try for each, with backoff
        log.warning("case store sink raised %s", type(error).__name__)
        deliveries = [Delivery(DeliveryOutcome.RETRY, _describe(error)) for _ in forwards]
    delivered = [f for f, d in zip(forwards, deliveries, strict=True) if d.outcome is DeliveryOutcome.DELIVERED]
    journal.forwards.forwards_delivered(delivered)
    outcomes: Counter[str] = Counter(delivered=len(delivered))
    if exhausted:
        outcomes["failed"] = len(exhausted)
    for forward, delivery in zip(forwards, deliveries, strict=True):
        if delivery.outcome is DeliveryOutcome.DELIVERED:
            continue
        if not delivery.attempted:  # circuit open: wait for it, without spending one of the case's tries
            journal.forwards.forward_retry_later(
                forward, delivery.detail, timedelta(seconds=settings.case_store.circuit_cooldown_seconds), refund=True
            )
            outcomes["deferred"] += 1
        elif delivery.outcome is DeliveryOutcome.RETRY and (delay := policy.retry_in(forward.attempts)) is not None:
            journal.forwards.forward_retry_later(forward, delivery.detail, delay)
            outcomes["retry"] += 1
            log.warning("forward %d: %s; retry in %.1fs", forward.id, delivery.detail, delay.total_seconds())
        else:
            journal.forwards.forward_failed(forward, delivery.detail)
            outcomes["failed"] += 1
            log.error("forward %d failed after %d attempts: %s", forward.id, forward.attempts, delivery.detail)
    runtime.queues.done("dispatch", forward_ids)
    return dict(outcomes)


def relay(reply_ids: Sequence[int], runtime: WorkerDeps) -> dict[str, int]:
    """Deliver citizens' answers to the case store's questions, each once (its idempotency key), retried
    with backoff like forwards (FORWARD_MAX_ATTEMPTS), then ``failed`` for ``pakn replay --failed``."""
    settings = runtime.settings
    journal = runtime.journal
    policy = retry_policy(settings.case_store.forward_max_attempts, runtime)
    replies = journal.loop.claim_replies(reply_ids, timedelta(seconds=settings.job_lease_seconds))
    outcomes: Counter[str] = Counter()
    for reply in [r for r in replies if policy.never_finished(r.attempts)]:
        journal.loop.reply_failed(reply.id, policy.never_finished(reply.attempts) or "")
        outcomes["failed"] += 1
        log.error("answer %d failed: its job never finished", reply.id)
    replies = [r for r in replies if not policy.never_finished(r.attempts)]
    parcels = [(r.idempotency_key, r.tracking_code, encode(reply_payload(r))) for r in replies]
    try:
        deliveries = runtime.sink.deliver_replies(parcels)
    except Exception as error:  # the sink itself broke: a try for each, with backoff
        log.warning("case store sink raised %s on answers", type(error).__name__)
        deliveries = [Delivery(DeliveryOutcome.RETRY, _describe(error)) for _ in replies]
    delivered = [r.id for r, d in zip(replies, deliveries, strict=True) if d.outcome is DeliveryOutcome.DELIVERED]
    journal.loop.replies_delivered(delivered)
    outcomes["delivered"] = len(delivered)
    for reply, delivery in zip(replies, deliveries, strict=True):
        if delivery.outcome is DeliveryOutcome.DELIVERED:
            continue
        if not delivery.attempted:  # circuit open: wait, without spending a try
            cooldown = timedelta(seconds=settings.case_store.circuit_cooldown_seconds)
            journal.loop.reply_retry_later(reply.id, delivery.detail, cooldown, refund=True)
            outcomes["deferred"] += 1
        elif delivery.outcome is DeliveryOutcome.RETRY and (delay := policy.retry_in(reply.attempts)) is not None:
            journal.loop.reply_retry_later(reply.id, delivery.detail, delay)
            outcomes["retry"] += 1
            log.warning("answer %d: %s; retry in %.1fs", reply.id, delivery.detail, delay.total_seconds())
        else:
            journal.loop.reply_failed(reply.id, delivery.detail)
            outcomes["failed"] += 1
            log.error("answer %d failed after %d attempts: %s", reply.id, reply.attempts, delivery.detail)
    runtime.queues.done("relay", reply_ids)
    return dict(outcomes)


def deliver_ratings(rating_ids: Sequence[int], runtime: WorkerDeps) -> dict[str, int]:
    """Deliver citizens' ratings of the answers to the case store, each once (its idempotency key), retried
    with backoff like forwards, then ``failed`` for ``pakn replay --failed``."""
    settings = runtime.settings
    work = runtime.journal.ratings
    policy = retry_policy(settings.case_store.forward_max_attempts, runtime)
    claimed = work.claim_ratings(rating_ids, timedelta(seconds=settings.job_lease_seconds))
    outcomes: Counter[str] = Counter()
    for rating in claimed:
        if error := policy.never_finished(rating.attempts):
            work.rating_failed(rating.id, error)
            outcomes["failed"] += 1
    claimed = [r for r in claimed if not policy.never_finished(r.attempts)]
    parcels = [(r.idempotency_key, r.tracking_code, encode(rating_payload(r))) for r in claimed]
    try:
        deliveries = runtime.sink.deliver_ratings(parcels)
    except Exception as error:
        log.warning("case store sink raised %s on ratings", type(error).__name__)
        deliveries = [Delivery(DeliveryOutcome.RETRY, _describe(error)) for _ in claimed]
    delivered = [r.id for r, d in zip(claimed, deliveries, strict=True) if d.outcome is DeliveryOutcome.DELIVERED]
    work.ratings_delivered(delivered)
    outcomes["delivered"] = len(delivered)
    for rating, delivery in zip(claimed, deliveries, strict=True):
        if delivery.outcome is DeliveryOutcome.DELIVERED:
            continue
        if not delivery.attempted:
            cooldown = timedelta(seconds=settings.case_store.circuit_cooldown_seconds)
            work.rating_retry_later(rating.id, delivery.detail, cooldown, refund=True)
            outcomes["deferred"] += 1
        elif delivery.outcome is DeliveryOutcome.RETRY and (delay := policy.retry_in(rating.attempts)) is not None:
            work.rating_retry_later(rating.id, delivery.detail, delay)
            outcomes["retry"] += 1
        else:
            work.rating_failed(rating.id, delivery.detail)
            outcomes["failed"] += 1
            log.error("rating %d failed after %d attempts: %s", rating.id, rating.attempts, delivery.detail)
    runtime.queues.done("rate", rating_ids)
    return dict(outcomes)


def notify(notification_ids: Sequence[int], runtime: WorkerDeps) -> dict[str, int]:
    """Send citizens their messages, each on the channel their submission came from."""
    settings = runtime.settings
    journal = runtime.journal
    policy = retry_policy(settings.notify_max_attempts, runtime)
    claimed = journal.outbox.claim_notifications(notification_ids, timedelta(seconds=settings.job_lease_seconds))
    sent: list[int] = []
    outcomes: Counter[str] = Counter()
    for notification in claimed:
        never_finished = policy.never_finished(notification.attempts)  # its jobs died: the worker, or a timeout
        if never_finished:
            journal.outbox.notification_retry_later(notification.id, never_finished, None)
            outcomes["failed"] += 1
            continue
        try:
            runtime.notifier(notification.channel).send(as_sent(notification, settings, runtime.catalog.messages))
        except NotSendable as error:  # reported once when the worker started; retrying cannot help
            journal.outbox.notification_retry_later(notification.id, f"{NOT_SENDABLE}{error}", None)
            outcomes["not_sendable"] += 1
            log.debug("message %d for %s kept as not sendable: %s", notification.id, notification.channel.value, error)
        except Exception as error:
            detail = _describe(error)
            delay = policy.retry_in(notification.attempts)
            journal.outbox.notification_retry_later(notification.id, detail, delay)
            outcomes["retry" if delay is not None else "failed"] += 1
            log.warning("message %d for %s not sent: %s", notification.id, notification.channel.value, detail)
        else:
            sent.append(notification.id)
    journal.outbox.notifications_sent(sent)
    outcomes["sent"] = len(sent)
    runtime.queues.done("notify", notification_ids)
    return dict(outcomes)
