"""`pakn imap`: reads the province's existing shared mailbox (imapclient); `pakn mail backfill`.

Exactly once across restarts and crashes:
- a checkpoint per (account, folder, UIDVALIDITY) holds the last UID fully handled; a new UIDVALIDITY
  starts from the beginning, and the journal's source identity (Message-ID, else a hash of the bytes)
  recognises every mail already journaled, so nothing becomes a second case;
- per batch: journal each mail (committed), then flag it (or move it to IMAP_DONE_FOLDER), then
  advance the checkpoint.  A crash anywhere in between repeats only steps the journal makes no-ops.
Mail is never deleted.  IDLE when the server offers it, polling otherwise; any network or protocol
error reconnects with exponential backoff (full jitter).
"""

from __future__ import annotations

import contextlib
import logging
import os
import random
import threading
from collections.abc import Callable, Iterator, Sequence
from datetime import date
from typing import Any

from imapclient import IMAPClient
from sqlalchemy import insert, select, update

from channels.email.intake import MailIntake, Taken
from channels.intake import DirectIntake
from channels.runtime import Runtime
from config.testing_hooks import failpoint
from pakn.db import email_checkpoints, utcnow, writer

log = logging.getLogger(__name__)

_BATCH = 25


def connect(runtime: Runtime) -> IMAPClient:
    s = runtime.settings
    if not s.imap.host or not s.imap.user:
        raise RuntimeError("IMAP_HOST and IMAP_USER must be set")
    client = IMAPClient(s.imap.host, port=s.imap.port, ssl=s.imap.ssl, timeout=60)
    client.login(s.imap.user, s.imap.password.get_secret_value() if s.imap.password else "")
    if s.imap.done_folder and not client.folder_exists(s.imap.done_folder):
        client.create_folder(s.imap.done_folder)
    return client


class Checkpoints:
    """The last UID fully handled, per account, folder and UIDVALIDITY."""

    def __init__(self, runtime: Runtime) -> None:
        s = runtime.settings
        self.engine = runtime.journal.engine
        self.account = f"{s.imap.user}@{s.imap.host}:{s.imap.port}"
        self.folder = s.imap.folder

    def last_uid(self, uidvalidity: int) -> int:
        with self.engine.connect() as conn:
            value = conn.execute(
                select(email_checkpoints.c.last_uid).where(
                    email_checkpoints.c.account == self.account,
                    email_checkpoints.c.folder == self.folder,
                    email_checkpoints.c.uidvalidity == uidvalidity,
                )
            ).scalar_one_or_none()
        return int(value or 0)

    def advance(self, uidvalidity: int, uid: int) -> None:
        key = (
            email_checkpoints.c.account == self.account,
            email_checkpoints.c.folder == self.folder,
            email_checkpoints.c.uidvalidity == uidvalidity,
        )
        with writer(self.engine).begin() as conn:
            changed = conn.execute(
                update(email_checkpoints)
                .where(*key, email_checkpoints.c.last_uid < uid)
                .values(last_uid=uid, updated_at=utcnow())
            ).rowcount
            if not changed and conn.execute(select(email_checkpoints.c.last_uid).where(*key)).first() is None:
                conn.execute(
                    insert(email_checkpoints).values(
                        account=self.account,
                        folder=self.folder,
                        uidvalidity=uidvalidity,
                        last_uid=uid,
                        updated_at=utcnow(),
                    )
                )


def _chunks(items: Sequence[int], size: int) -> Iterator[Sequence[int]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def direct_intake(runtime: Runtime) -> DirectIntake:
    """The intake path of a synchronous mail reader: this process's journal, then the normalizer's queue."""
    return DirectIntake(runtime.journal.intake.record, runtime.queues.enqueue_normalize)


class Poller:
    def __init__(self, runtime: Runtime, intake: DirectIntake) -> None:
        self.runtime = runtime
        self.settings = runtime.settings
        self.intake = MailIntake(runtime, intake)
        self.checkpoints = Checkpoints(runtime)
        self.stop = threading.Event()

    def run_forever(self) -> None:
        attempt = 0
        while not self.stop.is_set():
            try:
                client = connect(self.runtime)
            except Exception as error:
                attempt += 1
                self._back_off(attempt, error)
                continue
            attempt = 0
            try:
                self.follow(client)
            except Exception as error:
                attempt += 1
                self._back_off(attempt, error)
            finally:
                with contextlib.suppress(Exception):
                    client.logout()

    def _back_off(self, attempt: int, error: BaseException) -> None:
        delay = random.uniform(0, min(self.settings.imap.backoff_max_seconds, 0.5 * 2**attempt))
        log.warning("IMAP: %s; reconnecting in %.1fs", type(error).__name__, delay)
        self.stop.wait(delay)

    def follow(self, client: IMAPClient) -> None:
        """Drain the folder, then wait for news (IDLE or a poll interval), for as long as the connection lives."""
        idle = client.has_capability("IDLE")
        log.info("IMAP connected; %s", "IDLE" if idle else f"polling every {self.settings.imap.poll_seconds:.0f}s")
        while not self.stop.is_set():
            info = client.select_folder(self.settings.imap.folder)
            self.drain(client, int(info[b"UIDVALIDITY"]))
            if idle:
                client.idle()
                try:
                    client.idle_check(timeout=self.settings.imap.idle_seconds)
                finally:
                    client.idle_done()
            else:
                self.stop.wait(self.settings.imap.poll_seconds)

    def drain(self, client: IMAPClient, uidvalidity: int) -> int:
        """Journal every mail past the checkpoint; returns how many were handled."""
        last = self.checkpoints.last_uid(uidvalidity)
        criteria: list[Any] = ["UID", f"{last + 1}:*"]
        if not self.settings.imap.done_folder:
            criteria += ["NOT", "KEYWORD", self.settings.imap.done_flag]
        uids = sorted(int(u) for u in client.search(criteria) if int(u) > last)
        for chunk in _chunks(uids, _BATCH):
            for _uid, taken in handle(client, chunk, self.intake):
                if failpoint("imap-after-journal"):
                    log.warning("failpoint after-journal: exiting before flagging (submission %d)", taken.submission_id)
                    os._exit(75)
            mark_done(client, chunk, self.settings.imap.done_folder, self.settings.imap.done_flag)
            self.checkpoints.advance(uidvalidity, max(chunk))
        if uids:
            log.info("IMAP: %d mails journaled (UIDVALIDITY %d, up to UID %d)", len(uids), uidvalidity, max(uids))
        return len(uids)


def handle(client: IMAPClient, uids: Sequence[int], intake: MailIntake) -> Iterator[tuple[int, Taken]]:
    """Fetch without setting \\Seen, and journal each mail in UID order."""
    fetched = client.fetch(list(uids), ["BODY.PEEK[]"])
    for uid in uids:
        raw = fetched.get(uid, {}).get(b"BODY[]")
        if raw is None:  # expunged meanwhile by someone else
            continue
        yield uid, intake.take(bytes(raw))


def mark_done(client: IMAPClient, uids: Sequence[int], folder: str | None, flag: str) -> None:
    if not uids:
        return
    if folder:
        client.move(list(uids), folder)
    else:
        client.add_flags(list(uids), [flag])


def backfill(
    runtime: Runtime, since: date, progress: Callable[[list[Sequence[int]]], Iterator[Sequence[int]]] | None = None
) -> dict[str, int]:
    """Import every mail of the folder received since ``since``; flags them (never moves or deletes)."""
    s = runtime.settings
    intake = MailIntake(runtime, direct_intake(runtime))
    counts = {"mails": 0, "new": 0, "duplicate": 0, "completion": 0}
    client = connect(runtime)
    try:
        client.select_folder(s.imap.folder)
        uids = sorted(int(u) for u in client.search(["SINCE", since]))
        counts["mails"] = len(uids)
        chunks = list(_chunks(uids, _BATCH))
        for chunk in progress(chunks) if progress else iter(chunks):
            for _uid, taken in handle(client, chunk, intake):
                counts[taken.outcome] += 1
            mark_done(client, chunk, None, s.imap.done_flag)
    finally:
        with contextlib.suppress(Exception):
            client.logout()
    return counts


def run(runtime: Runtime) -> None:
    Poller(runtime, direct_intake(runtime)).run_forever()
