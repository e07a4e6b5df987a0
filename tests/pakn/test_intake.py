"""The journal writer process: group commit across a socket pair, each answer to its own sender, and a
writer that dies is started again without anyone having been told "stored" for what was not."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest

from pakn.db import make_engine
from pakn.intake import (
    IntakeWriter,
    JournalWriteFailed,
    WriterUnavailable,
    decode_answers,
    decode_submissions,
    encode_answer,
    encode_submission,
)
from pakn.journal import Journal
from pakn.migrate import upgrade
from pakn.queue import Queues, connect
from pakn.records import Channel, RawSubmission, Receipt
from tests.conftest import SYSTEM_REDIS, children, command_line, gateway_env, process_running, wait_until


def raw(source_id: str, body: bytes = b'{"content": "x"}', channel: Channel = Channel.API) -> RawSubmission:
    return RawSubmission(channel, source_id, body, "application/json", datetime.now(UTC))


def test_submission_frames_come_back_whole_however_the_stream_is_cut() -> None:
    sent = [
        RawSubmission(
            Channel.EMAIL,
            "mid:<thư-phản-ánh@example.vn>",
            b"\x00\xff\r\n" * 300,
            "message/rfc822",
            datetime(2026, 11, 23, 4, 5, 6, 789012, tzinfo=UTC),
        ),
        RawSubmission(Channel.API, "k", b"", "application/json", datetime(1999, 1, 1, tzinfo=UTC)),
        raw("Nguyễn Văn An"),
    ]
    wire = b"".join(encode_submission(seq, submission) for seq, submission in enumerate(sent, 1))
    for cut in range(len(wire) + 1):
        first, used = decode_submissions(wire[:cut])
        rest, rest_used = decode_submissions(wire[used:])
        assert first + rest == list(enumerate(sent, 1)), f"cut at byte {cut}"
        assert used + rest_used == len(wire)


def test_answer_frames_carry_codes_and_error_texts() -> None:
    wire = encode_answer(7, 0, 41, "PAKN-7K2M-Q9XD") + encode_answer(8, 2, text="lỗi: đĩa đầy")
    half, used = decode_answers(wire[:30])
    assert half == [(7, 0, 41, "PAKN-7K2M-Q9XD")]
    assert decode_answers(wire[used:]) == ([(8, 2, 0, "lỗi: đĩa đầy")], len(wire) - used)
    # A long error text is cut to the frame's limit between characters, never inside one.
    (answer,), _ = decode_answers(encode_answer(9, 2, text="đ" * 40_000))
    assert answer[3] == "đ" * 32_767


@pytest.fixture
def writer_env(tmp_path: Path) -> dict[str, str]:
    return gateway_env(tmp_path, REDIS_URL=SYSTEM_REDIS, QUEUE_NAME=f"t{uuid.uuid4().hex[:8]}")


def test_concurrent_senders_each_get_their_own_receipt_once_committed(
    journal_url: str, writer_env: dict[str, str]
) -> None:
    upgrade(journal_url)
    env = dict(writer_env, DATABASE_URL=journal_url)

    async def scenario() -> list[Receipt]:
        writer = IntakeWriter(env=env)
        await writer.start()
        try:
            # 300 senders at once, every third one a repeat of an earlier source identity.
            return await asyncio.gather(*(writer.submit(raw(f"key-{i - i % 3}", f"{i}".encode())) for i in range(300)))
        finally:
            await writer.close()

    receipts = asyncio.run(scenario())
    journal = Journal(make_engine(journal_url))
    assert journal.operators.stats().total == 100
    for i, receipt in enumerate(receipts):
        stored = journal.reading.get(receipt.submission_id)
        assert stored is not None and stored.tracking_code == receipt.tracking_code
        assert stored.source_id == f"key-{i - i % 3}"
        assert stored.raw == f"{i - i % 3}".encode(), "the first payload of a source identity is kept"
    assert sum(not r.duplicate for r in receipts) == 100
    # Once committed, each new submission was handed to the normalizer's queue by the writer process.
    queues = Queues(connect(SYSTEM_REDIS), env["QUEUE_NAME"])
    inflight = queues.connection.hkeys(f"{env['QUEUE_NAME']}:inflight:normalize")
    assert sorted(int(i) for i in inflight) == sorted({r.submission_id for r in receipts})
    assert queues.normalize.count >= 1


def test_a_killed_writer_fails_its_waiting_senders_and_a_new_one_takes_over(
    tmp_path: Path, writer_env: dict[str, str]
) -> None:
    url = f"sqlite:///{tmp_path / 'journal.db'}"
    upgrade(url)
    env = dict(writer_env, DATABASE_URL=url)

    async def scenario() -> tuple[list[Receipt | BaseException], Receipt, int, int]:
        writer = IntakeWriter(env=env)
        await writer.start()
        try:
            first_pid = writer.pid
            assert first_pid is not None
            await writer.submit(raw("before"))
            os.kill(first_pid, signal.SIGSTOP)  # it reads nothing more: these five wait on it
            waiting = [asyncio.ensure_future(writer.submit(raw(f"lost-{i}"))) for i in range(5)]
            await asyncio.sleep(0.2)
            assert not any(f.done() for f in waiting)
            os.kill(first_pid, signal.SIGKILL)
            outcomes = await asyncio.gather(*waiting, return_exceptions=True)
            after = await writer.submit(raw("after"))
            assert writer.pid is not None
            return outcomes, after, first_pid, writer.pid
        finally:
            await writer.close()

    outcomes, after, first_pid, second_pid = asyncio.run(scenario())
    assert all(isinstance(o, WriterUnavailable) for o in outcomes), outcomes
    assert second_pid != first_pid
    journal = Journal(make_engine(url))
    assert journal.operators.stats().total == 2, "only what was acknowledged is stored"
    assert journal.reading.get(after.submission_id) is not None


def test_a_writer_killed_while_it_starts_is_started_again_without_waiting_for_a_sender(
    tmp_path: Path, writer_env: dict[str, str]
) -> None:
    """The poison-mix fault run: the writer was SIGKILLed, and its replacement too before it was ready;
    the web process then had no writer until the next request.  Now it is back by itself."""
    url = f"sqlite:///{tmp_path / 'journal.db'}"
    upgrade(url)
    env = dict(writer_env, DATABASE_URL=url)

    def writers() -> set[int]:
        return {pid for pid in children(os.getpid()) if "pakn.intake" in command_line(pid)}

    async def scenario() -> tuple[int, int, int | None, Receipt]:
        writer = IntakeWriter(env=env)
        await writer.start()
        try:
            first = writer.pid
            assert first is not None
            os.kill(first, signal.SIGKILL)
            while not (starting := writers() - {first}):  # its replacement, killed before it is ready
                await asyncio.sleep(0.005)
            (second,) = starting
            assert writer.pid is None
            os.kill(second, signal.SIGKILL)
            for _ in range(600):  # nobody submits anything meanwhile
                if writer.pid is not None:
                    break
                await asyncio.sleep(0.05)
            third = writer.pid
            return first, second, third, await writer.submit(raw("after"))
        finally:
            await writer.close()

    first, second, third, after = asyncio.run(scenario())
    assert third is not None and third not in (first, second), "the writer is back within 30 s by itself"
    assert Journal(make_engine(url)).reading.get(after.submission_id) is not None


def test_a_failed_transaction_is_an_error_for_its_senders_and_the_writer_carries_on(
    tmp_path: Path, writer_env: dict[str, str]
) -> None:
    url = f"sqlite:///{tmp_path / 'journal.db'}"  # no tables yet: the insert fails
    env = dict(writer_env, DATABASE_URL=url)

    async def scenario() -> tuple[Receipt | BaseException, Receipt, bool]:
        writer = IntakeWriter(env=env)
        await writer.start()
        try:
            pid = writer.pid
            (failed,) = await asyncio.gather(writer.submit(raw("early")), return_exceptions=True)
            upgrade(url)
            stored = await writer.submit(raw("later"))
            return failed, stored, writer.pid == pid
        finally:
            await writer.close()

    failed, stored, same_writer = asyncio.run(scenario())
    assert isinstance(failed, JournalWriteFailed) and "no such table" in str(failed)
    assert same_writer, "a failed transaction does not end the writer"
    assert Journal(make_engine(url)).reading.get(stored.submission_id) is not None


def test_a_row_the_database_refuses_fails_alone_not_its_batch(postgres_url: str, writer_env: dict[str, str]) -> None:
    """On PostgreSQL a source id over VARCHAR(255) breaks the batch's transaction: the writer then stores
    the batch row by row, so only that sender gets an error (the channels' own checks come first; this
    is the writer's last line)."""
    upgrade(postgres_url)
    env = dict(writer_env, DATABASE_URL=postgres_url)

    async def scenario() -> list[Receipt | BaseException]:
        writer = IntakeWriter(env=env)
        await writer.start()
        try:
            pid = writer.pid
            assert pid is not None
            os.kill(pid, signal.SIGSTOP)  # everything below waits in the socket: one batch
            sent = [raw(f"good-{i}") for i in range(10)] + [raw("x" * 300)] + [raw(f"good-{i}") for i in range(10, 20)]
            waiting = [asyncio.ensure_future(writer.submit(r)) for r in sent]
            await asyncio.sleep(0.2)
            os.kill(pid, signal.SIGCONT)
            return await asyncio.gather(*waiting, return_exceptions=True)
        finally:
            await writer.close()

    outcomes = asyncio.run(scenario())
    bad = outcomes.pop(10)
    assert isinstance(bad, JournalWriteFailed) and "StringDataRightTruncation" in str(bad), bad
    assert all(isinstance(o, Receipt) and not o.duplicate for o in outcomes), outcomes
    journal = Journal(make_engine(postgres_url))
    assert journal.operators.stats().total == 20
    for i, receipt in enumerate(outcomes):
        stored = journal.reading.get(receipt.submission_id)  # type: ignore[union-attr]
        assert stored is not None and stored.source_id == f"good-{i}"


def test_the_writer_outlives_sigterm_but_not_its_channel_process(tmp_path: Path, writer_env: dict[str, str]) -> None:
    """`pakn run` stops with SIGTERM to the whole process group: the writer must still answer the senders
    the channel process is finishing.  It ends when the channel process closes its end, or dies."""
    url = f"sqlite:///{tmp_path / 'journal.db'}"
    upgrade(url)
    env = dict(writer_env, DATABASE_URL=url)
    channel = subprocess.Popen(
        [sys.executable, "-c", _CHANNEL_PROCESS], env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    assert channel.stdin is not None and channel.stdout is not None
    writer_pid = int(channel.stdout.readline())
    os.kill(writer_pid, signal.SIGTERM)
    channel.stdin.write("after-sigterm\n")
    channel.stdin.flush()
    code, pid = channel.stdout.readline().split()
    assert code.startswith("PAKN-") and int(pid) == writer_pid, "stored after SIGTERM, by the same writer"
    channel.kill()
    channel.wait()
    wait_until(lambda: not process_running(writer_pid), 10, "the orphaned writer to end")


_CHANNEL_PROCESS = """
import asyncio, sys
from datetime import UTC, datetime
from pakn.intake import IntakeWriter
from pakn.records import RawSubmission
from pakn.records import Channel

async def main():
    writer = IntakeWriter()
    await writer.start()
    print(writer.pid, flush=True)
    loop = asyncio.get_running_loop()
    while line := await loop.run_in_executor(None, sys.stdin.readline):
        raw = RawSubmission(Channel.API, line.strip(), b"{}", "application/json", datetime.now(UTC))
        print((await writer.submit(raw)).tracking_code, writer.pid, flush=True)

asyncio.run(main())
"""


def test_the_forked_writer_holds_none_of_its_parents_descriptors(tmp_path: Path, writer_env: dict[str, str]) -> None:
    """The writer is a fork of the channel's process (it shares its imported modules); a listening socket
    of that process held by the writer would keep the port bound after the process died, so a new web
    process could not bind it while the writer still runs."""
    url = f"sqlite:///{tmp_path / 'journal.db'}"
    upgrade(url)
    env = dict(writer_env, DATABASE_URL=url)
    with socket.create_server(("127.0.0.1", 0)) as listener:
        listening = os.fstat(listener.fileno()).st_ino

        async def scenario() -> tuple[set[int], str, Receipt]:
            writer = IntakeWriter(env=env)
            await writer.start()
            try:
                pid = writer.pid
                assert pid is not None
                folder = Path("/proc") / str(pid) / "fd"
                held = set()
                for fd in folder.iterdir():
                    try:
                        held.add(fd.stat().st_ino)
                    except OSError:  # closed while listed
                        continue
                return held, command_line(pid), await writer.submit(raw("forked"))
            finally:
                await writer.close()

        held, title, receipt = asyncio.run(scenario())
    assert listening not in held
    assert title.startswith("pakn.intake_process"), title
    assert Journal(make_engine(url)).reading.get(receipt.submission_id) is not None
