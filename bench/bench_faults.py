"""Fault run: many submissions through the HTTP API while things break; prove none lost, none twice.

    .venv/bin/python -m bench.bench_faults [--count 10000] [--kill-every 3] [--workers 2]
    .venv/bin/python -m bench.bench_faults --pakn-run [--count 2000] [--kill-every 3] [--workers 2]

While the submissions are posted: a worker is SIGKILLed every few seconds and started again; Redis is
killed once and restarted empty halfway; the case store (a real HTTP stand-in) answers 500 to 20% of
requests and hangs past the gateway's timeout on 5%.  Printed: sent, journaled, delivered, stored
twice at the case store (must be 0), re-deliveries it answered 409, lost (must be 0), time to drain.

With ``--pakn-run`` the gateway is one real `pakn run` (embedded Redis) and nothing here restarts
anything: every few seconds a random process of it (a worker, the web process, the sweeper or the web
process's journal writer) is SIGKILLed, until every case is delivered, and its supervisor must bring
it back.  Also printed: that
`pakn run` never exited, and the longest time a killed process took to come back.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from pathlib import Path

import httpx

from tests.conftest import (
    PAKN,
    Gateway,
    RedisServer,
    command_line,
    descendants,
    free_port,
    gateway_env,
    process_running,
    wait_until,
)
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


# The gateway's settings in both kinds of fault run: a flaky HTTP case store, quick retries and sweeps.
FAULT_SETTINGS = {
    "CASE_STORE_SINK": "http",
    "CASE_STORE_SECRET": SECRET,
    "CASE_STORE_TIMEOUT_SECONDS": "1",
    "FORWARD_MAX_ATTEMPTS": "30",
    "FORWARD_BACKOFF_BASE_SECONDS": "0.2",
    "FORWARD_BACKOFF_MAX_SECONDS": "5",
    "CIRCUIT_COOLDOWN_SECONDS": "2",
    "STALE_AFTER_SECONDS": "10",
    "JOB_LEASE_SECONDS": "15",
    "SWEEP_INTERVAL_SECONDS": "1",
    "LOG_LEVEL": "WARNING",
}


def print_outcome(
    count: int,
    codes: list[str],
    failures: list[str],
    journaled: int,
    stored_codes: list[str],
    store: CaseStoreStandIn,
    dead: int,
) -> None:
    """What both kinds of fault run report: sent, journaled, delivered, twice, lost."""
    expected, stored = set(codes), set(stored_codes)
    print(f"command: python -m bench.bench_faults {' '.join(sys.argv[1:])}".rstrip())
    print(f"sent (202 received):            {len(codes)} of {count} (client retries on errors: {len(failures)})")
    print(f"journaled:                      {journaled}")
    print(f"delivered (distinct cases):     {len(stored & expected)}")
    print(f"stored twice at the case store: {len(stored_codes) - len(stored)}")
    print(f"re-deliveries answered 409:     {store.duplicates}")
    print(f"lost:                           {len(expected - stored)}")
    print(f"dead forwards:                  {dead}")


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
    parser.add_argument("--pakn-run", action="store_true", help="Kill processes of one real `pakn run`.")
    parser.add_argument(
        "--redis-restart-empty",
        action="store_true",
        help="With --pakn-run: `pakn run` uses a Redis of its own (REDIS_URL), killed and restarted empty once, "
        "20 s in (the embedded Redis comes back with its append-only file, so it is never empty).",
    )
    args = parser.parse_args()
    if args.pakn_run:
        run_pakn_run(args)
        return

    workdir = Path(tempfile.mkdtemp(prefix="pakn-faults-"))
    redis = RedisServer(workdir)
    redis.start()
    store = CaseStoreStandIn(SECRET.encode(), FailurePlan(error_rate=0.20, hang_rate=0.05, hang_seconds=2.5)).start()
    port = free_port()
    env = gateway_env(
        workdir,
        PORT=str(port),
        REDIS_URL=redis.url,
        CASE_STORE_URL=store.url,
        **FAULT_SETTINGS,
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
    print_outcome(args.count, codes, failures, journaled, stored_codes, store, dead)
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


KINDS = ("worker", "web", "sweeper", "writer")


def processes_of(root: int) -> dict[str, list[int]]:
    """The processes of `pakn run` by kind, from their titles (`pakn web`, `rq:worker:...`, ...)."""
    found: dict[str, list[int]] = defaultdict(list)
    for pid in descendants(root):
        line = command_line(pid)
        kind = (
            "writer"
            if "pakn.intake" in line
            else "worker"
            if line.startswith("rq:worker") or line == "pakn worker"
            else "web"
            if line == "pakn web"
            else "sweeper"
            if line == "pakn sweeper"
            else None
        )
        if kind and process_running(pid):
            found[kind].append(pid)
    return found


def pakn_run_chaos(
    root: subprocess.Popen[bytes],
    url: str,
    every: float,
    stop: threading.Event,
    log: list[str],
    back: list[tuple[str, float]],
    redis: RedisServer | None = None,
) -> None:
    """SIGKILL a random process of `pakn run` every ``every`` seconds; time how long until it is back.
    With ``redis``: that server is also killed and restarted empty once, 20 s in."""
    rng = random.Random(3)
    started = time.monotonic()
    while not stop.wait(every):
        if redis is not None and time.monotonic() - started > 20:
            redis.restart_empty()
            log.append(f"{time.monotonic() - started:6.1f}s Redis killed and restarted empty")
            redis = None
        if root.poll() is not None:
            log.append(f"{time.monotonic() - started:6.1f}s pakn run EXITED with {root.returncode}")
            return
        now = processes_of(root.pid)
        kind = rng.choice([k for k in KINDS if now.get(k)] or ["worker"])
        if not now.get(kind):
            continue
        victim = rng.choice(now[kind])
        count = len(now[kind])
        os.kill(victim, signal.SIGKILL)
        killed = time.monotonic()
        log.append(f"{killed - started:6.1f}s SIGKILL {kind} {victim}")

        def returned(k: str = kind, v: int = victim, n: int = count) -> bool:
            pids = processes_of(root.pid).get(k, [])
            if v in pids or len(pids) < n:
                return False
            if k != "web":
                return True
            try:
                return httpx.get(f"{url}/healthz", timeout=1).status_code == 200
            except httpx.HTTPError:
                return False

        try:
            wait_until(returned, 60, f"{kind} back", interval=0.05)
            back.append((kind, time.monotonic() - killed))
        except AssertionError:
            log.append(f"{time.monotonic() - started:6.1f}s {kind} NOT back after 60 s")


def run_pakn_run(args: argparse.Namespace) -> None:
    workdir = Path(tempfile.mkdtemp(prefix="pakn-faults-"))
    store = CaseStoreStandIn(SECRET.encode(), FailurePlan(error_rate=0.20, hang_rate=0.05, hang_seconds=2.5)).start()
    port = free_port()
    env = gateway_env(
        workdir,
        PORT=str(port),
        CASE_STORE_URL=store.url,
        **FAULT_SETTINGS,
    )
    redis = None
    if args.redis_restart_empty:
        redis = RedisServer(workdir / "redis")
        (workdir / "redis").mkdir()
        redis.start()
        env["REDIS_URL"] = redis.url
    url = f"http://127.0.0.1:{port}"
    log_file = (workdir / "pakn-run.log").open("wb")
    root = subprocess.Popen(
        [*PAKN, "run", "--workers", str(args.workers)], env=env, cwd=workdir, stdout=log_file, stderr=subprocess.STDOUT
    )
    codes: list[str] = []
    failures: list[str] = []
    events: list[str] = []
    back: list[tuple[str, float]] = []
    stop = threading.Event()
    try:

        def healthy() -> bool:
            try:
                return httpx.get(f"{url}/healthz", timeout=1).status_code == 200
            except httpx.HTTPError:
                return False

        wait_until(healthy, 120, "pakn run to answer /healthz")
        monkey = threading.Thread(target=pakn_run_chaos, args=(root, url, args.kill_every, stop, events, back, redis))
        started = time.monotonic()
        monkey.start()
        asyncio.run(post_all(url, args.count, args.concurrency, codes, failures))
        posted = time.monotonic()
        expected = set(codes)
        wait_until(  # processes keep being killed while the cases are delivered
            lambda: expected <= {c["tracking_code"] for c in list(store.cases.values())},
            1800,
            "every case at the case store",
            interval=0.5,
        )
        drained = time.monotonic()
        stop.set()
        monkey.join()
        time.sleep(3)  # anything arriving now would be a duplicate
        never_exited = root.poll() is None
        with sqlite3.connect(workdir / "journal.db") as conn:
            journaled = conn.execute("select count(*) from submissions").fetchone()[0]
            dead = conn.execute("select count(*) from forwards where state = 'failed'").fetchone()[0]
        stored_codes = [c["tracking_code"] for c in store.cases.values()]
    finally:
        stop.set()
        root.send_signal(signal.SIGTERM)
        stopping = time.monotonic()
        try:
            exit_code: int | None = root.wait(30)
        except subprocess.TimeoutExpired:
            root.kill()
            exit_code = None
        stopped_in = time.monotonic() - stopping
        store.stop()
        if redis is not None:
            redis.stop()
        log_file.close()
    for line in events:
        print(line)
    slowest: dict[str, float] = {}
    kills: dict[str, int] = defaultdict(int)
    for kind, seconds in back:
        slowest[kind] = max(slowest.get(kind, 0.0), seconds)
        kills[kind] += 1
    print_outcome(args.count, codes, failures, journaled, stored_codes, store, dead)
    checked = f"bad signatures: {store.bad_signatures}, cut off: {store.cut_off}"
    print(f"POSTs to the case store:        {store.posts} ({checked})")
    print(f"pakn run never exited:          {never_exited}; SIGTERM -> exit {exit_code} in {stopped_in:.1f} s")
    print("kills, and longest time back:   " + ", ".join(f"{k} {kills[k]}x {slowest[k]:.1f} s" for k in slowest))
    print(f"posting took {posted - started:.1f} s; drained {drained - posted:.1f} s after the last POST")
    shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    signal.signal(signal.SIGINT, signal.default_int_handler)
    main()
