"""Group commit for the channels, in a journal writer process of its own.

One commit (one fsync) per request caps an HTTP endpoint near a third of what the bare framework does
here (shared/notes/building-blocks-speed.md), so many acknowledgements wait on one transaction: the
writer takes whatever submissions arrived while its previous transaction ran and stores them together;
each sender is answered only after the transaction holding its submission has committed.

The writer is a child process, not a thread of the channel's process (forked, so that it shares the
modules the channel's process, and under `pakn run` its supervisor, imported, rather than loading its own:
~45 MB as a fresh interpreter).  As a thread it shared the GIL
with the event loop: the two took turns instead of running on the machine's two cores, and handing the
GIL back and forth cost more than SQLite's own work (web process ~365 µs of CPU per accepted request
against ~175 µs without a journal; see docs/architecture.md).  Across a socket pair the channel's loop
only writes a frame and reads an answer, and the journal's Python and SQLite work runs on the other core.

Wire (both ways, big-endian): a channel sends one frame per submission, ``_SUBMISSION`` followed by the
payload, source id, channel and content type; the writer answers each with ``_ANSWER`` followed by the
tracking code, or by an error text.  Answers carry the channel's sequence number.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import importlib
import logging
import os
import select
import signal
import socket
import struct
import sys
import time
import traceback
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import cast

from sqlalchemy.engine import Connection

from config.settings import get_settings
from pakn.journal.intake import Intake
from pakn.process import end_forked_child
from pakn.records import Channel, RawSubmission, Receipt

log = logging.getLogger(__name__)

# seq, len(payload), len(source id), len(channel), len(content type), received_at (µs since the epoch, UTC)
_SUBMISSION = struct.Struct("!IIHHHq")
# seq, kind, submission id, len(text that follows: the tracking code or an error)
_ANSWER = struct.Struct("!IBqH")
_STORED, _REPEAT, _FAILED, _READY = 0, 1, 2, 3
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


class WriterUnavailable(ConnectionError):
    """The journal writer process is gone (or not back yet): nothing was acknowledged."""


class JournalWriteFailed(RuntimeError):
    """The writer could not store the submission (its transaction failed)."""


def encode_submission(seq: int, raw: RawSubmission) -> bytes:
    source, channel, content_type = raw.source_id.encode(), raw.channel.value.encode(), raw.content_type.encode()
    header = _SUBMISSION.pack(
        seq,
        len(raw.payload),
        len(source),
        len(channel),
        len(content_type),
        (raw.received_at - _EPOCH) // _MICROSECOND,
    )
    return b"".join((header, raw.payload, source, channel, content_type))


def decode_submissions(buffer: bytes | bytearray) -> tuple[list[tuple[int, RawSubmission]], int]:
    """The complete frames at the start of ``buffer``, and how many bytes they took."""
    found: list[tuple[int, RawSubmission]] = []
    position = 0
    while len(buffer) - position >= _SUBMISSION.size:
        seq, payload, source, channel, content_type, micros = _SUBMISSION.unpack_from(buffer, position)
        payload_at = position + _SUBMISSION.size
        source_at = payload_at + payload
        channel_at = source_at + source
        content_type_at = channel_at + channel
        end = content_type_at + content_type
        if end > len(buffer):
            break
        raw = RawSubmission(
            Channel(buffer[channel_at:content_type_at].decode()),
            buffer[source_at:channel_at].decode(),
            bytes(buffer[payload_at:source_at]),
            buffer[content_type_at:end].decode(),
            _EPOCH + micros * _MICROSECOND,
        )
        found.append((seq, raw))
        position = end
    return found, position


def encode_answer(seq: int, kind: int, submission_id: int = 0, text: str = "") -> bytes:
    # At most 65,535 bytes, cut between characters: the other side decodes the text strictly.
    data = text.encode()[:65535].decode(errors="ignore").encode()
    return _ANSWER.pack(seq, kind, submission_id, len(data)) + data


def decode_answers(buffer: bytes | bytearray) -> tuple[list[tuple[int, int, int, str]], int]:
    """The complete answers (seq, kind, submission id, text) at the start of ``buffer``, and their length."""
    found: list[tuple[int, int, int, str]] = []
    position = 0
    while len(buffer) - position >= _ANSWER.size:
        seq, kind, submission_id, length = _ANSWER.unpack_from(buffer, position)
        end = position + _ANSWER.size + length
        if end > len(buffer):
            break
        found.append((seq, kind, submission_id, buffer[end - length : end].decode()))
        position = end
    return found, position


# --- the writer process ------------------------------------------------------------------------------


class JournalWriter:
    """The writer process's loop: read what the channel sent, store it in one transaction, answer."""

    def __init__(
        self,
        intake: Intake,
        after_commit: Callable[[Sequence[int]], None],
        max_batch: int = 256,
        enqueue_delay: float = 0.02,
    ) -> None:
        """``after_commit`` gets the ids of newly stored submissions, gathered for up to ``enqueue_delay``
        seconds so that one queue job carries many of them."""
        self.intake = intake
        self.after_commit = after_commit
        self.max_batch = max_batch
        self.enqueue_delay = enqueue_delay
        self._pending: list[int] = []
        self._flush_at = 0.0
        self._connection: Connection | None = None  # kept between batches

    def serve(self, channel: socket.socket) -> None:
        """Until the channel's process closes its end (or dies): the socket pair's EOF ends the writer."""
        channel.sendall(encode_answer(0, _READY))
        ready = select.poll()
        ready.register(channel, select.POLLIN)
        buffer = bytearray()
        try:
            while True:
                # The socket stays blocking (a Python socket timeout would also make MSG_DONTWAIT wait).
                if self._pending and not ready.poll(max(0.0, self._flush_at - time.monotonic()) * 1000):
                    self._flush()
                    continue
                data = channel.recv(1 << 20)
                if not data:
                    return
                buffer += data
                with contextlib.suppress(BlockingIOError):  # take everything already sent: one bigger batch
                    while more := channel.recv(1 << 20, socket.MSG_DONTWAIT):
                        buffer += more
                submissions, used = decode_submissions(buffer)
                del buffer[:used]
                for start in range(0, len(submissions), self.max_batch):
                    channel.sendall(self._commit(submissions[start : start + self.max_batch]))
                if len(self._pending) >= self.max_batch or time.monotonic() >= self._flush_at:
                    self._flush()
        except (BrokenPipeError, ConnectionResetError):
            log.info("the channel process went away; the journal writer stops")
        finally:
            self._flush()
            self._drop_connection()

    def _commit(self, batch: list[tuple[int, RawSubmission]]) -> bytes:
        """One transaction for the batch; if it fails, each submission alone, so that one row the
        database refuses (a value too long for its column, say) fails only its own sender."""
        try:
            receipts: list[Receipt | Exception] = list(self._record([raw for _, raw in batch]))
        except Exception as error:
            if len(batch) == 1 or not _about_a_row(error):
                receipts = [error] * len(batch)  # the database itself failed (down, locked): all fail alike
            else:
                log.warning("journal write failed for a batch of %d; storing them one by one", len(batch))
                receipts = [self._record_alone(raw) for _, raw in batch]
        if not self._pending:
            self._flush_at = time.monotonic() + self.enqueue_delay
        self._pending.extend(r.submission_id for r in receipts if isinstance(r, Receipt) and not r.duplicate)
        return b"".join(
            encode_answer(seq, _FAILED, text=f"{type(r).__name__}: {r}")
            if isinstance(r, Exception)
            else encode_answer(seq, _REPEAT if r.duplicate else _STORED, r.submission_id, r.tracking_code)
            for (seq, _), r in zip(batch, receipts, strict=True)
        )

    def _record(self, raws: list[RawSubmission]) -> list[Receipt]:
        try:
            if self._connection is None:
                self._connection = self.intake.writer_connection()
            return self.intake.record(raws, self._connection)
        except Exception:
            log.exception("journal write failed for %d submissions", len(raws))
            self._drop_connection()  # the next transaction starts on a fresh connection
            raise

    def _record_alone(self, raw: RawSubmission) -> Receipt | Exception:
        try:
            return self._record([raw])[0]
        except Exception as error:
            return error

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


def _about_a_row(error: BaseException) -> bool:
    """PEP 249's DataError or IntegrityError (the driver's own, or SQLAlchemy's wrapper of it): the
    database refused a value, so storing the rows one by one isolates it.  Anything else (connection
    lost, database locked) would fail each row again, a connect timeout each: not worth retrying."""
    return any(cls.__name__ in ("DataError", "IntegrityError") for cls in type(error).__mro__)


# --- the channel's side ------------------------------------------------------------------------------


class _WriterLink(asyncio.Protocol):
    """The channel's end of the socket pair: matches answers to the senders waiting on them."""

    def __init__(self, lost: Callable[[_WriterLink], None]) -> None:
        self.ready: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.waiting: dict[int, asyncio.Future[Receipt]] = {}
        self.transport: asyncio.Transport | None = None
        self._buffer = bytearray()
        self._lost = lost

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's transports do not subclass asyncio's

    def data_received(self, data: bytes) -> None:
        self._buffer += data
        answers, used = decode_answers(self._buffer)
        del self._buffer[:used]
        for seq, kind, submission_id, text in answers:
            if kind == _READY:
                if not self.ready.done():
                    self.ready.set_result(None)
                continue
            future = self.waiting.pop(seq, None)
            if future is None or future.done():
                continue
            if kind == _FAILED:
                future.set_exception(JournalWriteFailed(text))
            else:
                future.set_result(Receipt(submission_id, text, kind == _REPEAT))

    def connection_lost(self, exc: Exception | None) -> None:
        self.transport = None
        error = WriterUnavailable("the journal writer process stopped")
        if not self.ready.done():
            self.ready.set_exception(error)
        for future in self.waiting.values():
            if not future.done():
                future.set_exception(error)
        self.waiting.clear()
        self._lost(self)


START_TRIES = 8


class IntakeWriter:
    """What a channel process uses: ``submit`` resolves once the submission is durably in the journal.

    Starts its writer process and starts it again if it dies; senders waiting on a writer that died get
    ``WriterUnavailable`` (nothing was acknowledged: their client sends again, and the journal
    recognises a repeat by its source identity).
    """

    def __init__(
        self, redis_url: str | None = None, env: Mapping[str, str] | None = None, start_timeout: float = 60.0
    ) -> None:
        """The writer process gets ``env`` (default: this process's environment, so the same journal),
        with ``redis_url`` (this process's Redis, which may be an embedded one) for the queue it feeds."""
        self._env = dict(os.environ if env is None else env)
        if redis_url:
            self._env["REDIS_URL"] = redis_url
        self._start_timeout = start_timeout
        self._seq = 0
        self._link: _WriterLink | None = None
        self._process: _WriterProcess | None = None
        self._starting: asyncio.Task[None] | None = None
        self._closing = False
        self._closed = asyncio.Event()  # set by close(): a pause between two tries to start ends at once

    async def start(self) -> None:
        await self._spawn()

    @property
    def pid(self) -> int | None:
        """The writer process's id while one runs."""
        return self._process.pid if self._process is not None and self._link is not None else None

    async def submit(self, raw: RawSubmission) -> Receipt:
        """Resolves once ``raw`` is durably in the journal (raises if it could not be stored)."""
        link = self._link
        if link is None or link.transport is None:
            if self._closing:
                raise WriterUnavailable("the intake is shutting down")
            starting = self._starting if self._starting is not None and not self._starting.done() else self._restart()
            await asyncio.shield(starting)
            link = self._link
            if link is None or link.transport is None:
                raise WriterUnavailable("the journal writer process is not running")
        self._seq = seq = (self._seq + 1) & 0xFFFFFFFF
        future: asyncio.Future[Receipt] = asyncio.get_running_loop().create_future()
        link.waiting[seq] = future
        link.transport.write(encode_submission(seq, raw))
        return await future

    async def close(self) -> None:
        """Let the writer finish what it has (it commits, answers and enqueues), then end it."""
        self._closing = True
        self._closed.set()
        if self._starting is not None:
            with contextlib.suppress(Exception):
                await self._starting
        waiting = [f for f in (self._link.waiting.values() if self._link else ()) if not f.done()]
        if waiting:
            await asyncio.wait(waiting, timeout=30)
        if self._link is not None and self._link.transport is not None:
            self._link.transport.close()
        if self._process is not None:
            await asyncio.get_running_loop().run_in_executor(None, _reap, self._process, 30.0)

    async def _spawn(self) -> None:
        if self._process is not None:  # the previous writer's socket closed: make sure it is gone, and reaped
            await asyncio.get_running_loop().run_in_executor(None, _reap, self._process, 1.0)
            self._process = None
        ours, theirs = socket.socketpair()
        try:
            self._process = _WriterProcess(_fork_writer(theirs, self._env))
        finally:
            theirs.close()
        _, link = await asyncio.get_running_loop().create_unix_connection(lambda: _WriterLink(self._lost), sock=ours)
        await asyncio.wait_for(asyncio.shield(link.ready), self._start_timeout)
        self._link = link
        log.info("journal writer process %d ready", self._process.pid)

    def _lost(self, link: _WriterLink) -> None:
        if link is self._link:
            self._link = None
            if not self._closing:
                log.warning("the journal writer process stopped; starting it again")
                self._restart()

    def _restart(self) -> asyncio.Task[None]:
        self._starting = asyncio.get_running_loop().create_task(self._spawn_again())
        self._starting.add_done_callback(_log_failure)
        return self._starting

    async def _spawn_again(self) -> None:
        """Start a writer after one died.  One that dies while starting is tried again, 0.5 s, 1 s, 2 s
        ... up to 8 s apart, START_TRIES times in all, so the writer is back without waiting for the next
        sender (a SIGKILL during the start left the web process without one until a request came);
        past that, the next sender's submission tries once more."""
        for attempt in range(START_TRIES):
            try:
                await self._spawn()
                return
            except (WriterUnavailable, OSError, TimeoutError) as error:
                if self._closing or attempt == START_TRIES - 1:
                    raise
                pause = min(8.0, 0.5 * 2**attempt)
                log.warning("the journal writer process did not start (%s); trying again in %.1fs", error, pause)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._closed.wait(), pause)
                if self._closing:
                    raise


def _log_failure(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("the journal writer process did not start: %s", task.exception())


def _fresh_standard_streams() -> None:
    """New ``sys.stdout``/``sys.stderr`` (and the log handlers writing to them) in a forked child: a thread
    of the parent writing a line at the moment of the fork leaves the old streams' locks held for good."""
    old = {id(sys.stdout): 1, id(sys.stderr): 2}
    streams = {fd: open(fd, "w", buffering=1, errors="backslashreplace", closefd=False) for fd in (1, 2)}  # noqa: SIM115
    for handler in logging.getLogger().handlers:
        if isinstance(handler, logging.StreamHandler) and id(handler.stream) in old:
            handler.stream = streams[old[id(handler.stream)]]
    sys.stdout, sys.stderr = streams[1], streams[2]


class _WriterProcess:
    """The forked writer, by its pid: ended and reaped by ``_reap``."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.ended = False

    def wait(self, timeout: float | None) -> bool:
        """Whether it ended (and was reaped) within ``timeout`` seconds (None: however long it takes)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while not self.ended:
            try:
                pid, _status = os.waitpid(self.pid, 0 if deadline is None else os.WNOHANG)
            except ChildProcessError:  # reaped already
                pid = self.pid
            if pid == self.pid:
                self.ended = True
            elif deadline is not None and time.monotonic() >= deadline:
                return False
            else:
                time.sleep(0.02)
        return True


def _reap(process: _WriterProcess, grace: float) -> None:
    """Wait for the writer to end by itself (it finishes its batch and enqueues), then kill it."""
    if not process.wait(grace):
        with contextlib.suppress(ProcessLookupError):
            os.kill(process.pid, signal.SIGKILL)
        process.wait(None)


def _fork_writer(channel: socket.socket, env: Mapping[str, str]) -> int:
    """Fork the writer process, which serves ``channel``; returns its pid.

    The child keeps nothing of this process's but its imported modules (shared with it, page by page,
    until written): it closes every descriptor but the standard ones and ``channel``, so that a listening
    socket or a database connection of this process is never held or closed by it, takes ``env`` as its
    environment and builds its own settings, journal and queue (``pakn.intake_process.main``)."""
    pid = os.fork()
    if pid:
        return pid
    code = 1  # pragma: no cover - the child
    try:
        from setproctitle import setproctitle

        # What `ps` shows, as when it ran as `python -m pakn.intake_process`; first: setproctitle needs the
        # environment as the process started with it.
        setproctitle(f"pakn.intake_process {channel.fileno()} (journal writer)")
        # Whatever this process left for the collector is never finalized here: a socket object of its,
        # closed by its __del__, would close the descriptor the writer has since opened under that number.
        gc.freeze()
        signal.set_wakeup_fd(-1)  # the parent's event loop wakes on signals written there, not ours
        _fresh_standard_streams()
        for sig in (signal.SIGCHLD, signal.SIGHUP):
            signal.signal(sig, signal.SIG_DFL)
        keep = channel.fileno()
        os.closerange(3, keep)
        os.closerange(keep + 1, os.sysconf("SC_OPEN_MAX"))
        os.environ.clear()
        os.environ.update(env)
        get_settings.cache_clear()  # read again from ``env``
        # By name, as the writer was started when it ran as `python -m pakn.intake_process` (a contract).
        importlib.import_module("pakn.intake_process").main([str(keep)])
        code = 0
    except BaseException:
        traceback.print_exc()
    finally:
        end_forked_child(code)
