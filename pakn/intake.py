"""Group commit for the channels: many acknowledgements wait on one journal transaction.

One commit (one fsync) per request caps an HTTP endpoint near a third of what the bare framework does
here (shared/notes/building-blocks-speed.md).  A dedicated writer thread takes whatever submissions
queued up while the previous transaction ran and stores them together; each sender is answered only
after the transaction holding its submission has committed.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
import time
from collections.abc import Callable, Sequence

from sqlalchemy.engine import Connection

from pakn.journal import Journal, RawSubmission, Receipt

log = logging.getLogger(__name__)

_STOP = object()


class GroupCommitWriter:
    def __init__(
        self,
        journal: Journal,
        after_commit: Callable[[Sequence[int]], None],
        max_batch: int = 256,
        enqueue_delay: float = 0.02,
    ) -> None:
        """``after_commit`` gets the ids of newly stored submissions, gathered for up to ``enqueue_delay``
        seconds so that one queue job carries many of them."""
        self.journal = journal
        self.after_commit = after_commit
        self.max_batch = max_batch
        self.enqueue_delay = enqueue_delay
        self._queue: queue.SimpleQueue[object] = queue.SimpleQueue()
        self._pending: list[int] = []
        self._flush_at = 0.0
        self._connection: Connection | None = None  # kept between batches, owned by the writer thread
        self._thread = threading.Thread(target=self._run, name="journal-writer", daemon=True)
        self._thread.start()

    async def submit(self, raw: RawSubmission) -> Receipt:
        """Resolves once ``raw`` is durably in the journal (raises if it could not be stored)."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Receipt] = loop.create_future()
        self._queue.put((raw, loop, future))
        return await future

    def close(self) -> None:
        self._queue.put(_STOP)
        self._thread.join(timeout=30)

    def _run(self) -> None:
        while True:
            timeout = max(0.0, self._flush_at - time.monotonic()) if self._pending else None
            try:
                item = self._queue.get(timeout=timeout)
            except queue.Empty:
                self._flush()
                continue
            if item is _STOP:
                self._flush()
                self._drop_connection()
                return
            batch = [item]
            stop = False
            while len(batch) < self.max_batch:
                try:
                    more = self._queue.get_nowait()
                except queue.Empty:
                    break
                if more is _STOP:
                    stop = True
                    break
                batch.append(more)
            self._commit(batch)  # type: ignore[arg-type]
            if stop or len(self._pending) >= self.max_batch or time.monotonic() >= self._flush_at:
                self._flush()
            if stop:
                self._drop_connection()
                return

    def _commit(self, batch: list[tuple[RawSubmission, asyncio.AbstractEventLoop, asyncio.Future[Receipt]]]) -> None:
        try:
            if self._connection is None:
                self._connection = self.journal.writer_connection()
            receipts = self.journal.record([raw for raw, _, _ in batch], self._connection)
        except Exception as error:
            log.exception("journal write failed for %d submissions", len(batch))
            self._drop_connection()  # the next batch starts on a fresh connection
            for _, loop, future in batch:
                loop.call_soon_threadsafe(_fail, future, error)
            return
        # One wake-up per event loop for the whole batch, not one per sender.
        answers: dict[asyncio.AbstractEventLoop, list[tuple[asyncio.Future[Receipt], Receipt]]] = {}
        for (_, loop, future), receipt in zip(batch, receipts, strict=True):
            answers.setdefault(loop, []).append((future, receipt))
        for loop, pairs in answers.items():
            loop.call_soon_threadsafe(_resolve_all, pairs)
        if not self._pending:
            self._flush_at = time.monotonic() + self.enqueue_delay
        self._pending.extend(r.submission_id for r in receipts if not r.duplicate)

    def _drop_connection(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            try:
                connection.close()
            except Exception:
                log.debug("closing the journal connection failed", exc_info=True)

    def _flush(self) -> None:
        pending, self._pending = self._pending, []
        if not pending:
            return
        try:
            self.after_commit(pending)
        except Exception:
            # Stored but not enqueued (Redis down): the sweeper enqueues them once they are due.
            log.warning("enqueue after commit failed; the sweeper will pick these up", exc_info=True)


def _resolve_all(pairs: list[tuple[asyncio.Future[Receipt], Receipt]]) -> None:
    for future, receipt in pairs:
        if not future.done():
            future.set_result(receipt)


def _fail(future: asyncio.Future[Receipt], error: BaseException) -> None:
    if not future.done():
        future.set_exception(error)
