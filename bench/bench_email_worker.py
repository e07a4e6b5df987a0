"""Mails/s one worker takes from journaled raw to a final status, on the realistic mix of bench_email.

What the SMTP listener leaves to the worker (``channels.email.intake``): reading the whole mail, storing
its attachments (by SHA-256, one ``email_attachments`` row per part), the normalizer, and the verdict
with its outbox rows.  The mails of ``bench_email.realistic_message`` (multipart/alternative with HTML,
one in ten with a ~200 KB photo, a few plain; each from its own citizen, so that no mail is a repeat of
another) are journaled first, outside the clock, exactly as the listener journals them; then the
worker's own job function, ``pakn.app.worker_jobs.normalize``, runs in this process over batches of journal
row ids, as an RQ worker runs it, and the clock stops when every submission has its verdict.  Besides
the wall-clock rate it prints mails per CPU second of this process (the worker's own work, SQLite
included), which other loads on a shared machine change much less.  The journal is SQLite (WAL) in a
temporary data folder; the dispatch and notify jobs the verdicts enqueue go to a queue of their own on
the Redis at REDIS_URL and are not run.

    .venv/bin/python -m bench.bench_email_worker [--messages 1000] [--batch 50] [--rounds 3]
"""

from __future__ import annotations

import argparse
import itertools
import os
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=1000)
    parser.add_argument("--batch", type=int, default=50, help="Submissions per normalize job.")
    parser.add_argument("--rounds", type=int, default=3, help="Rounds (median), each on fresh mails.")
    args = parser.parse_args()

    data = Path(tempfile.mkdtemp(prefix="pakn-bench-worker-"))
    os.environ.update(
        PAKN_DATA_DIR=str(data),
        EMAIL_ADDRESSES="pakn@khanhhoa.gov.vn",
        REDIS_URL=os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"),
        QUEUE_NAME=f"benchw{uuid.uuid4().hex[:6]}",
        LOG_LEVEL="WARNING",
    )
    subprocess.run([sys.executable, "-m", "pakn.app.cli", "db", "upgrade"], check=True, cwd=data, env=os.environ)

    from sqlalchemy import func, select

    from bench.bench_email import realistic_message
    from channels.email.parse import CONTENT_TYPE, source_id
    from pakn.app.runtime import get_runtime
    from pakn.app.worker_jobs import normalize
    from pakn.db import email_attachments, submissions, utcnow
    from pakn.records import Channel, RawSubmission

    runtime = get_runtime()
    journal = runtime.journal
    _ = runtime.context  # built once, as `pakn worker` does before it takes jobs

    made = itertools.count()

    def journal_mails(count: int) -> list[int]:
        run = uuid.uuid4().hex[:8]
        raws = [realistic_message(next(made), run, unique=True) for _ in range(count)]
        receipts = []
        for start in range(0, count, 100):
            chunk = raws[start : start + 100]
            receipts += journal.intake.record(
                [RawSubmission(Channel.EMAIL, source_id(raw), raw, CONTENT_TYPE, utcnow()) for raw in chunk]
            )
        return [receipt.submission_id for receipt in receipts]

    def one_round(count: int) -> tuple[float, float, Counter[str], int]:
        ids = journal_mails(count)
        start, cpu = time.perf_counter(), time.process_time()
        for first in range(0, len(ids), args.batch):
            normalize(ids[first : first + args.batch])
        elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
        with journal.engine.connect() as conn:
            statuses = Counter(
                dict(
                    conn.execute(  # type: ignore[arg-type]
                        select(submissions.c.status, func.count())
                        .where(submissions.c.id.in_(ids))
                        .group_by(submissions.c.status)
                    ).all()
                )
            )
            parts = conn.execute(
                select(func.count()).select_from(email_attachments).where(email_attachments.c.submission_id.in_(ids))
            ).scalar_one()
        return count / elapsed, count / cpu, statuses, int(parts)

    one_round(100)  # warm-up: imports, caches, the first connections
    rounds = [one_round(args.messages) for _ in range(args.rounds)]
    redis, name = runtime.queues.connection, os.environ["QUEUE_NAME"]
    redis.delete(*redis.keys(f"rq:*{name}*"), *redis.keys(f"{name}:*"), "-")  # the jobs left unrun
    print(f"command: {shlex.join([sys.executable, '-m', 'bench.bench_email_worker', *sys.argv[1:]])}")
    for index, (rate, per_cpu, statuses, parts) in enumerate(rounds, 1):
        unfinished = statuses.get("received", 0)
        print(
            f"round {index}: {rate:6.1f} mails/s from journaled raw to verdict ({per_cpu:6.1f} per CPU second); "
            f"statuses {dict(statuses)}, {parts} attachment parts recorded"
            f"{'; UNFINISHED ' + str(unfinished) if unfinished else ''}"
        )
    rate = statistics.median(r[0] for r in rounds)
    per_cpu = statistics.median(r[1] for r in rounds)
    print(f"median: {rate:.1f} mails/s, {per_cpu:.1f} per CPU second (one worker, batches of {args.batch})")


if __name__ == "__main__":
    main()
