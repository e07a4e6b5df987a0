"""Fault run: many submissions through the HTTP API while things break; prove none lost, none twice.

    .venv/bin/python -m bench.bench_faults [--count 10000] [--kill-every 3] [--workers 2]
    .venv/bin/python -m bench.bench_faults --pakn-run [--count 2000] [--kill-every 3] [--workers 2]
        [--redis-restart-empty] [--poison 0.01]

While the submissions are posted: a worker is SIGKILLed every few seconds and started again; Redis is
killed once and restarted empty halfway; the case store (a real HTTP stand-in) answers 500 to 20% of
requests and hangs past the gateway's timeout on 5%.  Printed: sent, journaled, delivered, stored
twice at the case store (must be 0), re-deliveries it answered 409, lost (must be 0), time to drain.

With ``--pakn-run`` the gateway is one real `pakn run` (embedded Redis) and nothing here restarts
anything: every few seconds a random process of it (a worker, the web process, the sweeper or the web
process's journal writer) is SIGKILLed, until every case is delivered, and its supervisor must bring
it back.  Also printed: that
`pakn run` never exited, and the longest time a killed process took to come back.

``--pakn-run --mail 0.3`` sends that share of the good submissions as citizens' mail clients send it
(bench_email's realistic mix: multipart/alternative with an HTML part, one in ten with a ~200 KB photo, a
few text/plain; each from its own citizen) to its SMTP listener, killed like the rest; each counts once
its 250 carries a tracking code, and is followed to its verdict and, when forwarded, to the case store.

``--pakn-run --poison 0.01`` also enables its SMTP listener (killed too) and makes 1% of the submissions
mails with undecodable headers and names, 1% API posts at and over every limit (bench/poison.py).
Also printed: every good submission final, every poisoned one answered at the edge (a 4xx with a
message naming the field, an SMTP refusal) or final or `failed` and shown by `pakn dead list` and
/metrics; none stuck, none lost.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import shutil
import signal
import smtplib
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from bench.bench_email import realistic_message
from bench.poison import OURS, Mix, smtp_send
from config.settings import Settings
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


@dataclass
class GoodMail:
    """One in ``1 / fraction`` of the good submissions is a citizen's mail (``realistic_message``), sent to
    the SMTP listener until a 250 with a tracking code (connections refused while it is killed are retried,
    as a sending server does)."""

    fraction: float
    smtp_port: int
    run: str = field(default_factory=lambda: uuid.uuid4().hex[:8])
    codes: list[str] = field(default_factory=list)
    sent: int = 0
    retries: list[str] = field(default_factory=list)

    def takes(self, index: int) -> bool:
        return index % max(2, round(1 / self.fraction)) == 1

    async def send(self, index: int) -> None:
        self.sent += 1
        raw = realistic_message(index, self.run, unique=True)
        for _attempt in range(200):
            try:
                code, message = await asyncio.to_thread(smtp_send, self.smtp_port, raw)
            except (OSError, smtplib.SMTPException) as error:
                self.retries.append(type(error).__name__)
                await asyncio.sleep(0.5)
                continue
            if code == 250:
                self.codes.append(message.decode().split()[-1])
                return
            self.retries.append(str(code))
            await asyncio.sleep(0.5)


async def post_all(
    url: str,
    count: int,
    concurrency: int,
    codes: list[str],
    failures: list[str],
    poison: Mix | None = None,
    mail: GoodMail | None = None,
) -> None:
    limit = asyncio.Semaphore(concurrency)
    async with httpx.AsyncClient(timeout=60, limits=httpx.Limits(max_connections=concurrency)) as client:

        async def one(index: int) -> None:
            body = submission(index, idempotency_key=f"bench-{index}")
            async with limit:
                if poison is not None and poison.kind(index):
                    await poison.send(client, url, index)
                    return
                if mail is not None and mail.takes(index):
                    await mail.send(index)
                    return
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
    parser.add_argument("--keep", action="store_true", help="Keep the data folder (journal, pakn-run.log) to read.")
    parser.add_argument(
        "--redis-restart-empty",
        action="store_true",
        help="With --pakn-run: `pakn run` uses a Redis of its own (REDIS_URL), killed and restarted empty once, "
        "20 s in (the embedded Redis comes back with its append-only file, so it is never empty).",
    )
    parser.add_argument(
        "--poison",
        type=float,
        default=0.0,
        help="With --pakn-run: this fraction of the submissions are mails with undecodable headers sent to "
        "its SMTP listener, and as many API posts at and over every limit (bench/poison.py).",
    )
    parser.add_argument(
        "--mail",
        type=float,
        default=0.0,
        help="With --pakn-run: this share of the good submissions are citizens' mail (multipart with HTML, "
        "some with a photo) sent to its SMTP listener.",
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


KINDS = ("worker", "web", "sweeper", "writer", "smtp")


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
            else "smtp"
            if line == "pakn smtp"
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
    smtp_port: int | None = None,
) -> None:
    """SIGKILL a random process of `pakn run` every ``every`` seconds; time how long until it is back
    (the web process answering /healthz, the SMTP listener taking connections on ``smtp_port``).
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
            if k == "smtp" and smtp_port:
                with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", smtp_port), 1):
                    return True
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


# Where a submission may end: a verdict, a delivered case (and what the case store said since), or failed.
FINAL = frozenset({"forwarded", "needs_information", "rejected", "failed", "in_progress", "resolved"})


def journal_statuses(workdir: Path) -> dict[str, str]:
    with sqlite3.connect(workdir / "journal.db") as conn:
        return dict(conn.execute("select tracking_code, status from submissions").fetchall())


def unfinished(workdir: Path, codes: list[str]) -> list[str]:
    """Acknowledged submissions not (yet) in a final status."""
    statuses = journal_statuses(workdir)
    return [code for code in codes if statuses.get(code) not in FINAL]


@dataclass(frozen=True)
class PoisonSeen:
    statuses: dict[str, str]  # every journaled submission's status, by tracking code
    good: list[str]  # the good submissions' codes
    dead: set[str]  # the codes `pakn dead list` shows
    metrics_failed: int  # pakn_failed_submissions + pakn_dead_forwards on /metrics
    stuck_rows: list[str]  # what the journal holds of each submission not final: why it is stuck


def poison_figures(workdir: Path, env: dict[str, str], url: str, mix: Mix, good: list[str]) -> PoisonSeen:
    listed = subprocess.run([*PAKN, "dead", "list", "--json"], env=env, cwd=workdir, capture_output=True, check=True)

    def scrape() -> str | None:
        with contextlib.suppress(httpx.HTTPError):
            return httpx.get(f"{url}/metrics", timeout=10).raise_for_status().text
        return None

    metrics: str = wait_until(scrape, 60, "/metrics")
    counted = ("pakn_failed_submissions{", "pakn_dead_forwards{")
    failed = sum(float(line.split()[-1]) for line in metrics.splitlines() if line.startswith(counted))
    statuses = journal_statuses(workdir)
    acked = list(good) + [a.code for a in mix.answers if a.code]
    return PoisonSeen(
        statuses,
        list(good),
        {row["tracking_code"] for row in json.loads(listed.stdout)},
        int(failed),
        [stuck_row(workdir, code) for code in acked if statuses.get(code) not in FINAL],
    )


def stuck_row(workdir: Path, code: str) -> str:
    """One line of the journal's columns that say where a submission stopped: its row, its forward."""
    with sqlite3.connect(workdir / "journal.db") as conn:
        row = conn.execute(
            "select s.id, s.status, s.verdict, s.attempts, s.due_at, s.lease_until, s.updated_at, s.last_error,"
            " f.state, f.attempts, f.due_at, f.lease_until, f.last_error"
            " from submissions s left join forwards f on f.submission_id = s.id where s.tracking_code = ?",
            (code,),
        ).fetchone()
    if row is None:
        return f"{code}: not journaled"
    names = "id status verdict attempts due lease updated error fwd_state fwd_attempts fwd_due fwd_lease fwd_error"
    return f"{code}: " + ", ".join(f"{n}={v!r}" for n, v in zip(names.split(), row, strict=True))


def print_mail(mail: GoodMail, statuses: dict[str, str], stored: set[str]) -> None:
    """The good mail: each acknowledged with a code, each final, each forwarded one at the case store."""
    verdicts = Counter(statuses.get(code, "missing") for code in mail.codes)
    forwarded = [c for c in mail.codes if statuses.get(c) in ("forwarded", "in_progress", "resolved")]
    lost = [c for c in mail.codes if c not in statuses or (c in forwarded and c not in stored)]
    retried = dict(Counter(mail.retries))
    print(f"good mail (realistic mix):      {len(mail.codes)} of {mail.sent} got 250 with a code (retries: {retried})")
    print(f"    final:                      {dict(verdicts)}")
    print(f"    forwarded, at case store:   {sum(c in stored for c in forwarded)} of {len(forwarded)}")
    print(f"    stored twice, lost:         {len(mail.codes) - len(set(mail.codes))}, {len(lost)}")


def print_poison(mix: Mix, seen: PoisonSeen, stored: set[str]) -> None:
    """Every good submission final; every poisoned one answered at the edge or final/failed and visible."""
    statuses = seen.statuses
    good = Counter(statuses.get(c, "missing") for c in seen.good)
    final_good = sum(n for status, n in good.items() if status in FINAL)
    print(f"good submissions final:         {final_good} of {len(seen.good)} ({dict(good)})")
    for kind in ("mail", "api"):
        mine = [a for a in mix.answers if a.kind == kind]
        acked = [a for a in mine if a.code]
        refused = [a for a in mine if a.status and not a.code]
        print(
            f"poisoned {kind:<4} {len(mine):>5}:           acknowledged {len(acked)} -> "
            f"{dict(Counter(statuses.get(str(a.code), 'missing') for a in acked))}; refused {len(refused)} "
            f"{dict(Counter(a.status for a in refused))}, {sum(a.clear for a in refused)} with a clear message; "
            f"never answered {sum(1 for a in mine if not a.status)}"
        )
        by_variant: dict[str, Counter[str]] = defaultdict(Counter)
        for a in mine:
            by_variant[a.variant][f"{a.status} {statuses.get(a.code, '?')}" if a.code else str(a.status)] += 1
        for variant, outcomes in by_variant.items():
            print(f"    {variant:<24} {', '.join(f'{k} x{n}' for k, n in sorted(outcomes.items()))}")
    wrong = sorted({f"{a.variant}: {a.status}" for a in mix.answers if a.expected not in (None, a.status)})
    print(f"API posts answered otherwise:   {len(wrong)} {wrong if wrong else ''}".rstrip())
    print(f"retries of poisoned ones:       {dict(Counter(mix.retries))}")
    acked_all = seen.good + [a.code for a in mix.answers if a.code]
    stuck = Counter(statuses.get(c, "missing") for c in acked_all if statuses.get(c) not in FINAL)
    print(f"stuck (not final):              {sum(stuck.values())} {dict(stuck) if stuck else ''}".rstrip())
    for line in seen.stuck_rows:
        print(f"    {line}")
    failed = {c for c in acked_all if statuses.get(c) == "failed"}
    print(
        f"failed:                         {len(failed)}, in `pakn dead list` {len(failed & seen.dead)}, "
        f"on /metrics {seen.metrics_failed}"
    )
    delivered = ("forwarded", "in_progress", "resolved")
    lost = [c for c in acked_all if c not in statuses or (statuses[c] in delivered and c not in stored)]
    print(f"lost (good and poisoned):       {len(lost)}")


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
    smtp_port = free_port() if args.poison or args.mail else None
    if smtp_port:
        env.update(EMAIL_SMTP_PORT=str(smtp_port), EMAIL_ADDRESSES=OURS)
    max_body = Settings.model_fields["max_body_bytes"].default
    mix = Mix(args.poison, smtp_port, max_body) if args.poison and smtp_port else None
    mail = GoodMail(args.mail, smtp_port) if args.mail and smtp_port else None
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
        chaos_args = (root, url, args.kill_every, stop, events, back, redis, smtp_port)
        monkey = threading.Thread(target=pakn_run_chaos, args=chaos_args)
        started = time.monotonic()
        monkey.start()
        asyncio.run(post_all(url, args.count, args.concurrency, codes, failures, mix, mail))
        posted = time.monotonic()
        expected = set(codes)
        wait_until(  # processes keep being killed while the cases are delivered
            lambda: expected <= {c["tracking_code"] for c in list(store.cases.values())},
            1800,
            "every case at the case store",
            interval=0.5,
        )
        # A worker killed between the case store's commit and its own mark in the journal leaves that case
        # "accepted" until its lease runs out (JOB_LEASE_SECONDS); then it is sent again (409) and marked.
        acked = codes + ([a.code for a in mix.answers if a.code] if mix is not None else [])
        acked += mail.codes if mail is not None else []
        with contextlib.suppress(AssertionError):  # what is still unfinished is reported below
            wait_until(lambda: not unfinished(workdir, acked), 300, "every acknowledged submission final", 0.5)
        drained = time.monotonic()
        stop.set()
        monkey.join()
        time.sleep(3)  # anything arriving now would be a duplicate
        never_exited = root.poll() is None
        if mix is not None:
            poison_seen = poison_figures(workdir, env, url, mix, codes)
        with sqlite3.connect(workdir / "journal.db") as conn:
            journaled = conn.execute("select count(*) from submissions").fetchone()[0]
            dead = conn.execute("select count(*) from forwards where state = 'failed'").fetchone()[0]
        stored_codes = [c["tracking_code"] for c in store.cases.values()]
        statuses_at_end = journal_statuses(workdir)
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
    if mail is not None:
        print_mail(mail, statuses_at_end, set(stored_codes))
    if mix is not None:
        print_poison(mix, poison_seen, {c["tracking_code"] for c in store.cases.values()})
    if args.keep:
        print(f"kept: {workdir}")
    else:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    signal.signal(signal.SIGINT, signal.default_int_handler)
    main()
