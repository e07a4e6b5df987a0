"""The RQ jobs: plain functions of journal row ids, idempotent, so running one twice changes nothing.

Each job carries a batch of rows (see pakn/queue.py for why).  It first takes a lease on its rows in the
journal; rows already done, or held by another worker, are skipped.  Whatever happens to a row is
recorded in the journal; the job then tells the queue it is done with its rows.
"""

from __future__ import annotations

import logging
import os
import random
from collections import Counter
from collections.abc import Sequence
from dataclasses import replace
from datetime import timedelta

import orjson

from channels import after_journal, submission_from_journal
from dispatcher.contract import AttachmentLinks, case_payload, encode, idempotency_key
from dispatcher.sinks import Delivery, Outcome
from normalizer import Context
from normalizer import normalize as run_normalizer
from normalizer.fields.contacts import normalize_email
from normalizer.fields.phones import normalize_phone
from normalizer.fields.similarity import contact_keys, content_key
from normalizer.text import decode_bytes, repair_text
from pakn.db import utcnow
from pakn.journal import Journal, Recorded, StoredAmendment, StoredSubmission, Verdicted
from pakn.notify import NOT_SENDABLE, NotSendable, notifier_for
from pakn.records import Attachment, EarlierCase, NormalizationResult, NormalizedCase, Severity, Submission, Verdict
from pakn.runtime import Runtime, get_runtime

log = logging.getLogger(__name__)


def normalize(submission_ids: Sequence[int]) -> dict[str, int]:
    """Verdicts for a batch.  A submission whose processing raises fails alone: the others get their
    verdicts, it is retried later or given up (``_fail_or_retry``)."""
    runtime = get_runtime()
    journal = runtime.journal
    settings = runtime.settings
    lease = timedelta(seconds=settings.job_lease_seconds)
    claimed = journal.claim_submissions(submission_ids, lease)
    failures: list[tuple[StoredSubmission, str]] = []
    # Taken more often than allowed without an outcome: its jobs died (worker killed, job timeout).
    for stored in claimed:
        if stored.attempts > settings.normalize_max_attempts:
            failures.append((stored, f"no outcome after {stored.attempts - 1} attempts: the job never finished"))
    exhausted = {stored.id for stored, _ in failures}
    claimed = [stored for stored in claimed if stored.id not in exhausted]
    # A row taken before without an outcome may be the one that kills its job: it runs in a job of its own,
    # so that the rows of a batch it took down are not counted as dying with it again.
    alone = {stored.id for stored in claimed if stored.attempts > 1} if len(claimed) > 1 else set()
    if alone:
        journal.release_submissions(sorted(alone))
        for submission_id in sorted(alone):
            runtime.queues.enqueue_normalize([submission_id])
        claimed = [stored for stored in claimed if stored.id not in alone]
    amendments = journal.amendments_of_many([s.id for s in claimed]) if claimed else {}
    for stored in claimed:
        after_journal(journal.engine, runtime.settings, stored, amendments.get(stored.id, []))
    earlier = EarlierCases(runtime)
    context = replace(runtime.context, earlier_cases=earlier.lookup)
    parsed = [(stored, parse(stored, amendments.get(stored.id, []))) for stored in claimed]
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
    recorded.notification_ids.extend(_fail_or_retry(runtime, failures))
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
        return journal.finish_normalizations(verdicts), {}
    except Exception as error:
        if len(verdicts) <= 1:
            return Recorded([], []), {v.submission_id: _describe(error) for v in verdicts}
        log.warning("recording %d verdicts failed (%s); one by one", len(verdicts), type(error).__name__)
    recorded = Recorded([], [])
    failed: dict[int, str] = {}
    for verdict in verdicts:
        try:
            one = journal.finish_normalizations([verdict])
        except Exception as error:
            failed[verdict.submission_id] = _describe(error)
            continue
        recorded.forward_ids.extend(one.forward_ids)
        recorded.notification_ids.extend(one.notification_ids)
    return recorded, failed


def _fail_or_retry(runtime: Runtime, failures: Sequence[tuple[StoredSubmission, str]]) -> list[int]:
    """Each failed submission is tried again later (jittered backoff), or past NORMALIZE_MAX_ATTEMPTS marked
    ``failed`` with its error, its citizen told that staff will look at it.  Returns messages to send."""
    settings = runtime.settings
    messages = runtime.catalog.messages
    notification_ids: list[int] = []
    for stored, error in failures:
        if stored.attempts < settings.normalize_max_attempts:
            delay = backoff(
                stored.attempts, settings.forward_backoff_base_seconds, settings.forward_backoff_max_seconds
            )
            runtime.journal.normalization_failed(stored.id, error, delay)
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
        notification_id = runtime.journal.normalization_failed(stored.id, error, None, ("under_review", text))
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

    def __init__(self, runtime: Runtime) -> None:
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
            self.fetched.extend(self.journal.earlier_cases(sorted(contacts), sorted(contents), self.since))
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


def parse(stored: StoredSubmission, amendments: list[StoredAmendment]) -> Submission | Exception:
    """The submission its channel reads from the journaled bytes, or why it could not."""
    try:
        return submission_from_journal(stored, amendments)
    except Exception as error:  # a raw payload its channel cannot read: rejected below, the original kept
        return error


def verdict_for(
    runtime: Runtime, context: Context, stored: StoredSubmission, submission: Submission | Exception
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
    # Taken more often than allowed without an outcome: its jobs died (worker killed, job timeout).
    exhausted = [f for f in forwards if f.attempts > settings.forward_max_attempts]
    for forward in exhausted:
        journal.forward_failed(forward, f"no outcome after {forward.attempts - 1} attempts: the job never finished")
        log.error("forward %d failed: its job never finished", forward.id)
    forwards = [f for f in forwards if f.attempts <= settings.forward_max_attempts]
    parcels = {}
    for forward in forwards:
        try:  # each forward alone: one payload that cannot be read never holds back the others
            parcels[forward.id] = (
                forward.idempotency_key,
                orjson.loads(forward.payload)["tracking_code"],
                forward.payload.encode(),
            )
        except Exception as error:
            journal.forward_failed(forward, _describe(error))
            exhausted.append(forward)
            log.error("forward %d failed: its payload cannot be read (%s)", forward.id, type(error).__name__)
    forwards = [f for f in forwards if f.id in parcels]
    try:
        deliveries = runtime.sink.deliver_many([parcels[f.id] for f in forwards])
    except Exception as error:  # the sink itself broke (its database is down): a try for each, with backoff
        log.warning("case store sink raised %s", type(error).__name__)
        deliveries = [Delivery(Outcome.RETRY, _describe(error)) for _ in forwards]
    delivered = [f for f, d in zip(forwards, deliveries, strict=True) if d.outcome is Outcome.DELIVERED]
    journal.forwards_delivered(delivered)
    outcomes: Counter[str] = Counter(delivered=len(delivered))
    if exhausted:
        outcomes["failed"] = len(exhausted)
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
        if notification.attempts > settings.notify_max_attempts:  # its jobs died: the worker, or a timeout
            detail = f"no outcome after {notification.attempts - 1} attempts: the job never finished"
            journal.notification_retry_later(notification.id, detail, None)
            outcomes["failed"] += 1
            continue
        try:
            notifier_for(notification.channel, runtime).send(notification)
        except NotSendable as error:  # reported once when the worker started; retrying cannot help
            journal.notification_retry_later(notification.id, f"{NOT_SENDABLE}{error}", None)
            outcomes["not_sendable"] += 1
            log.debug("message %d for %s kept as not sendable: %s", notification.id, notification.channel.value, error)
        except Exception as error:
            detail = _describe(error)
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
