"""End-to-end: N submissions POSTed to a running gateway until all are in the case store.

    .venv/bin/python -m bench.bench_e2e [--count 1000] [--workers 2] [--concurrency 16]
                                        [--database sqlite|postgresql]

Starts the real processes (uvicorn web, RQ workers, sweeper) on this machine with Redis at
127.0.0.1:6379 (own queue names) and the `sql` case store, then prints: time to accept all POSTs
(accept rate), time until the last case is in the case store, and receipt→delivery latency p50/p99
(from the journal's `latency_seconds`).
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx
from sqlalchemy import create_engine, text

from tests.conftest import SYSTEM_REDIS, Gateway, free_port, gateway_env, new_postgres_database, wait_until
from tests.samples import submission


async def post_all(url: str, count: int, concurrency: int) -> list[float]:
    limit = asyncio.Semaphore(concurrency)
    latencies: list[float] = []
    async with httpx.AsyncClient(timeout=60, limits=httpx.Limits(max_connections=concurrency)) as client:

        async def one(index: int) -> None:
            async with limit:
                started = time.perf_counter()
                response = await client.post(f"{url}/api/v1/submissions", json=submission(index))
                latencies.append(time.perf_counter() - started)
                assert response.status_code == 202, response.text

        await asyncio.gather(*(one(i) for i in range(count)))
    return latencies


def case_count(path: Path) -> int:
    try:
        with sqlite3.connect(path) as conn:
            return int(conn.execute("select count(*) from cases").fetchone()[0])
    except sqlite3.OperationalError:
        return 0


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    args = parser.parse_args()

    data_dir = Path(tempfile.mkdtemp(prefix="pakn-bench-"))
    overrides = {"PORT": str(free_port()), "REDIS_URL": SYSTEM_REDIS, "LOG_LEVEL": "WARNING"}
    drop = None
    if args.database == "postgresql":
        overrides["DATABASE_URL"], drop = new_postgres_database()
    gateway = Gateway(data_dir, gateway_env(data_dir, STALE_AFTER_SECONDS="30", **overrides), int(overrides["PORT"]))
    try:
        gateway.start_all(workers=args.workers)
        started = time.perf_counter()
        request_latencies = asyncio.run(post_all(gateway.url, args.count, args.concurrency))
        accepted = time.perf_counter() - started
        wait_until(lambda: case_count(data_dir / "casestore.db") >= args.count, 600, "all cases", interval=0.05)
        delivered = time.perf_counter() - started
        journal = create_engine(gateway.env.get("DATABASE_URL") or f"sqlite:///{data_dir / 'journal.db'}")
        with journal.connect() as conn:
            e2e = [float(r[0]) for r in conn.execute(text("select latency_seconds from forwards"))]
        journal.dispose()
    finally:
        gateway.stop()
        if drop:
            drop()
        shutil.rmtree(data_dir, ignore_errors=True)

    print(f"command: {' '.join([Path(sys.executable).name, '-m', 'bench.bench_e2e', *sys.argv[1:]])}")
    print(f"journal: {args.database}, workers: {args.workers}, client concurrency: {args.concurrency}")
    print(f"submissions: {args.count}")
    print(f"all POSTs answered 202 in {accepted:.2f} s  ({args.count / accepted:.0f} submissions/s accepted)")
    print(
        f"  POST latency p50 {percentile(request_latencies, 0.5) * 1000:.1f} ms, "
        f"p99 {percentile(request_latencies, 0.99) * 1000:.1f} ms"
    )
    print(
        f"all cases in the case store after {delivered:.2f} s ({args.count / delivered:.0f} submissions/s end to end)"
    )
    print(
        f"  receipt→delivery p50 {statistics.median(e2e):.2f} s, p99 {percentile(e2e, 0.99):.2f} s, "
        f"max {max(e2e):.2f} s"
    )


if __name__ == "__main__":
    main()
