"""Fault run: many submissions through the HTTP API while things break; prove none lost, none twice.

    .venv/bin/python -m bench.bench_faults [--count 10000] [--kill-every 3] [--workers 2]

While the submissions are posted: a worker is SIGKILLed every few seconds and started again; Redis is
killed once and restarted empty halfway; the case store (a real HTTP stand-in) answers 500 to 20% of
requests and hangs past the gateway's timeout on 5%.  Printed: sent, journaled, delivered, stored
twice at the case store (must be 0), re-deliveries it answered 409, lost (must be 0), time to drain.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import shutil
import signal
import sqlite3
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

from tests.conftest import Gateway, RedisServer, free_port, gateway_env, wait_until
from tests.samples import submission
from tests.standins.case_store import CaseStoreStandIn, FailurePlan

SECRET = "bench-case-store-secret-0123"


async def post_all(url: str, count: int, concurrency: int, codes: list[str], failures: list[str]) -> None:
    limit = asyncio.Semaphore(concurrency)
    async with httpx.AsyncClient(timeout=60, limits=httpx.Limits(max_connections=concurrency)) as client:

        async def one(index: int) -> None:
            body = submission(index, idempotency_key=f"bench-{index}")
            async with limit:
                for _attempt in range(20):  # a client retries with its key until it gets a 202
                    try:
                        response = await client.post(f"{url}/api/v1/submissions", json=body)
                    except httpx.HTTPError as error:
                        failures.append(type(error).__name__)
                        await asyncio.sleep(0.5)
                        continue
                    if response.status_code == 202:
                        codes.append(response.json()["tracking_code"])
                        return
                    failures.append(str(response.status_code))
                    await asyncio.sleep(0.5)

        await asyncio.gather(*(one(i) for i in range(count)))


def chaos(
    gateway: Gateway, redis: RedisServer, workers: int, every: float, stop: threading.Event, log: list[str]
) -> None:
    rng = random.Random(3)
    started = time.monotonic()
    redis_done = False
    while not stop.wait(every):
        name = f"worker{rng.randrange(workers)}"
        if name in gateway.processes:
            gateway.kill(name)
            log.append(f"{time.monotonic() - started:6.1f}s SIGKILL {name}")
            gateway.start(name, "worker")
        if not redis_done and time.monotonic() - started > 20:
            redis.restart_empty()
            redis_done = True
            log.append(f"{time.monotonic() - started:6.1f}s Redis killed and restarted empty")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--kill-every", type=float, default=3.0)
    parser.add_argument("--concurrency", type=int, default=16)
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="pakn-faults-"))
    redis = RedisServer(workdir)
    redis.start()
    store = CaseStoreStandIn(SECRET.encode(), FailurePlan(error_rate=0.20, hang_rate=0.05, hang_seconds=2.5)).start()
    port = free_port()
    env = gateway_env(
        workdir,
        PORT=str(port),
        REDIS_URL=redis.url,
        CASE_STORE_SINK="http",
        CASE_STORE_URL=store.url,
        CASE_STORE_SECRET=SECRET,
        CASE_STORE_TIMEOUT_SECONDS="1",
        FORWARD_MAX_ATTEMPTS="30",
        FORWARD_BACKOFF_BASE_SECONDS="0.2",
        FORWARD_BACKOFF_MAX_SECONDS="5",
        CIRCUIT_COOLDOWN_SECONDS="2",
        STALE_AFTER_SECONDS="10",
        JOB_LEASE_SECONDS="15",
        SWEEP_INTERVAL_SECONDS="1",
        LOG_LEVEL="WARNING",
    )
    gateway = Gateway(workdir, env, port)
    codes: list[str] = []
    failures: list[str] = []
    events: list[str] = []
    stop = threading.Event()
    try:
        gateway.start_all(workers=args.workers)
        monkey = threading.Thread(target=chaos, args=(gateway, redis, args.workers, args.kill_every, stop, events))
        started = time.monotonic()
        monkey.start()
        asyncio.run(post_all(gateway.url, args.count, args.concurrency, codes, failures))
        posted = time.monotonic()
        stop.set()
        monkey.join()
        expected = set(codes)
        wait_until(
            lambda: expected <= {c["tracking_code"] for c in list(store.cases.values())},
            1800,
            "every case at the case store",
            interval=0.5,
        )
        drained = time.monotonic()
        time.sleep(3)  # anything arriving now would be a duplicate
        with sqlite3.connect(workdir / "journal.db") as conn:
            journaled = conn.execute("select count(*) from submissions").fetchone()[0]
            dead = conn.execute("select count(*) from forwards where state = 'failed'").fetchone()[0]
            attempts = conn.execute("select attempts, count(*) from forwards group by attempts").fetchall()
            latencies = sorted(r[0] for r in conn.execute("select latency_seconds from forwards"))
        stored_codes = [c["tracking_code"] for c in store.cases.values()]
    finally:
        stop.set()
        gateway.stop()
        store.stop()
        redis.stop()
    for line in events:
        print(line)
    print(f"command: python -m bench.bench_faults {' '.join(sys.argv[1:])}".rstrip())
    print(f"sent (202 received):            {len(codes)} of {args.count} (client retries on errors: {len(failures)})")
    print(f"journaled:                      {journaled}")
    print(f"delivered (distinct cases):     {len(set(stored_codes) & expected)}")
    print(f"stored twice at the case store: {len(stored_codes) - len(set(stored_codes))}")
    print(f"re-deliveries answered 409:     {store.duplicates}")
    print(f"lost:                           {len(expected - set(stored_codes))}")
    print(f"dead forwards:                  {dead}")
    print(f"POSTs made to the case store:   {store.posts} (bad signatures: {store.bad_signatures})")
    print(f"posting took {posted - started:.1f} s; drained {drained - posted:.1f} s after the last POST")
    print("tries per case: " + ", ".join(f"{n}: {count}" for n, count in attempts))
    print(
        "receipt -> delivery: "
        + ", ".join(
            f"p{q} {latencies[min(len(latencies) - 1, int(len(latencies) * q / 100))]:.1f} s" for q in (50, 90, 99, 100)
        )
    )
    shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    signal.signal(signal.SIGINT, signal.default_int_handler)
    main()
