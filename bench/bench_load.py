"""Load run on this machine: the gateway's accept rate against a bare FastAPI endpoint, then
sustained end-to-end delivery (POST → case store) at a fixed offered rate with one and two workers.

    .venv/bin/python -m bench.bench_load [--seconds 10] [--rate 200] [--sustain 30] [--rounds 3]

Accept rate: wrk (one thread, 16 connections, a distinct submission per request) against (a) a bare
FastAPI/uvicorn endpoint that only appends the JSON to a list (request.json(), and the gateway's body
model) and (b) the gateway's web process with its SQLite journal, in alternating rounds (medians
reported); then once with one and two workers and the sweeper running (Redis at 127.0.0.1:6379).
End to end: an open-loop client posts at ``--rate`` per second for ``--sustain`` seconds; printed are
delivered/s and receipt→delivery p50/p99 from the journal.  Everything shares the machine's 2 cores,
the load generator included.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from tests.conftest import REPO, SYSTEM_REDIS, Gateway, free_port, gateway_env, wait_until
from tests.samples import submission


def wrk(url: str, seconds: float, prefix: str = "") -> tuple[float, str]:
    out = subprocess.run(
        [
            "wrk",
            "-t1",
            "-c16",
            f"-d{int(seconds)}s",
            "--latency",
            "-s",
            str(REPO / "bench" / "post.lua"),
            url,
            "--",
            uuid.uuid4().hex[:8],
            prefix,
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    p99 = re.search(r"^\s+99%\s+(\S+)", out, re.MULTILINE)  # the distribution's line, not a "71.99%" stdev
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    note = f"p99 {p99.group(1) if p99 else '?'}" + (f", {non2xx.group(1)} non-2xx" if non2xx else "")
    return rate, note


@contextmanager
def bare_app() -> Iterator[str]:
    """The yardstick's URL while it runs (bench/bare_app.py under uvicorn, one process)."""
    port = free_port()
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "bench.bare_app:app",
            "--port",
            str(port),
            "--log-level",
            "warning",
            "--no-access-log",
        ],
        cwd=REPO,
    )
    try:
        wait_until(lambda: _up(f"http://127.0.0.1:{port}/docs"), 30, "bare app")
        yield f"http://127.0.0.1:{port}"
    finally:
        server.terminate()
        server.wait(10)


def _up(url: str) -> bool:
    try:
        return httpx.get(url, timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def gateway(workers: int) -> tuple[Gateway, Path]:
    data_dir = Path(tempfile.mkdtemp(prefix="pakn-load-"))
    port = free_port()
    gw = Gateway(data_dir, gateway_env(data_dir, PORT=str(port), REDIS_URL=SYSTEM_REDIS, LOG_LEVEL="WARNING"), port)
    if workers:
        gw.start_all(workers=workers)
    else:  # intake only: the web process and its journal, nobody draining the queue meanwhile
        gw.pakn("db", "upgrade")
        gw.start("web", "web")
        wait_until(lambda: _up(f"{gw.url}/healthz"), 30, "web")
    return gw, data_dir


async def open_loop(url: str, rate: float, seconds: float, offset: int) -> int:
    """Posts at a fixed rate whatever the answers take (an open loop, as citizens do).

    Plain HTTP/1.1 over 64 keep-alive connections: an httpx client spent more CPU per request than the
    gateway does and became the bottleneck of the run (it fell behind the offered rate).
    """
    target = httpx.URL(url)
    pending: asyncio.Queue[bytes | None] = asyncio.Queue()
    statuses: list[int] = []

    async def connection() -> None:
        reader, writer = await asyncio.open_connection(target.host, target.port)
        while (body := await pending.get()) is not None:
            writer.write(
                b"POST /api/v1/submissions HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\n"
                b"Content-Length: %d\r\n\r\n%s" % (target.host.encode(), len(body), body)
            )
            status = int((await reader.readline()).split()[1])
            length = 0
            while (line := await reader.readline()) not in (b"\r\n", b""):
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value)
            await reader.readexactly(length)
            statuses.append(status)
        writer.close()

    connections = [asyncio.create_task(connection()) for _ in range(64)]
    sent = 0
    start = time.perf_counter()
    while (elapsed := time.perf_counter() - start) < seconds:
        while sent < int(elapsed * rate):
            body = submission(offset + sent, idempotency_key=f"load-{offset + sent}")
            pending.put_nowait(json.dumps(body, ensure_ascii=False).encode())
            sent += 1
        await asyncio.sleep(0.002)
    for _ in connections:
        pending.put_nowait(None)
    await asyncio.gather(*connections)
    assert len(statuses) == sent and all(status == 202 for status in statuses), set(statuses)
    return sent


def sustained(workers: int, rate: float, seconds: float) -> str:
    gw, data_dir = gateway(workers)
    try:
        started = time.perf_counter()
        sent = asyncio.run(open_loop(gw.url, rate, seconds, offset=workers * 1_000_000))
        posted = time.perf_counter() - started
        store = data_dir / "casestore.db"
        wait_until(lambda: _count(store, "cases") >= sent, 300, "all delivered", interval=0.2)
        drained = time.perf_counter() - started
        with sqlite3.connect(data_dir / "journal.db") as conn:
            latencies = sorted(r[0] for r in conn.execute("select latency_seconds from forwards"))
    finally:
        gw.stop()
        shutil.rmtree(data_dir, ignore_errors=True)
    p = lambda q: latencies[min(len(latencies) - 1, int(len(latencies) * q))]  # noqa: E731
    return (
        f"{workers} worker(s): offered {rate:.0f}/s for {seconds:.0f} s = {sent}, posted in {posted:.1f} s; "
        f"all delivered {drained - posted:.1f} s after the last POST ({sent / drained:.0f}/s overall); "
        f"receipt→delivery p50 {p(0.5):.2f} s, p99 {p(0.99):.2f} s, max {latencies[-1]:.2f} s"
    )


def _count(path: Path, table: str) -> int:
    try:
        with sqlite3.connect(path) as conn:
            return int(conn.execute(f"select count(*) from {table}").fetchone()[0])
    except sqlite3.OperationalError:
        return 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--rate", type=float, default=200)
    parser.add_argument("--sustain", type=float, default=30)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    print(f"command: python -m bench.bench_load {' '.join(sys.argv[1:])}".rstrip())
    # Accept rate: the yardsticks and the gateway's intake stay up and are measured in alternating
    # rounds, so that all three see the same machine (rates on this shared VM drift by ±20%).
    rows: list[tuple[float, float, float]] = []
    gw, data_dir = gateway(0)
    try:
        with bare_app() as bare_url:
            for index in range(1, args.rounds + 1):
                json_rate, json_note = wrk(bare_url, args.seconds)
                model_rate, model_note = wrk(bare_url, args.seconds, "/model")
                rate, note = wrk(gw.url, args.seconds)
                rows.append((json_rate, model_rate, rate))
                print(
                    f"round {index}: bare FastAPI request.json() {json_rate:6.0f}/s ({json_note}); "
                    f"bare body model {model_rate:6.0f}/s ({model_note}); "
                    f"gateway intake {rate:6.0f}/s ({note}) = {rate / json_rate:.0%} / {rate / model_rate:.0%}"
                )
    finally:
        gw.stop()
        shutil.rmtree(data_dir, ignore_errors=True)
    med = [statistics.median(column) for column in zip(*rows, strict=True)]
    print(
        f"median: bare request.json() {med[0]:.0f}/s, bare body model {med[1]:.0f}/s, gateway intake {med[2]:.0f}/s"
        f" = {statistics.median(r[2] / r[0] for r in rows):.0%} of request.json(), "
        f"{statistics.median(r[2] / r[1] for r in rows):.0%} of the body model (target >= 50%)"
    )
    for workers in (1, 2):
        gw, data_dir = gateway(workers)
        try:
            rate, note = wrk(gw.url, args.seconds)
        finally:
            gw.stop()
            shutil.rmtree(data_dir, ignore_errors=True)
        print(f"gateway, web + {workers} worker(s): {rate:8.0f} submissions/s accepted ({note})")
    for workers in (1, 2):
        print(sustained(workers, args.rate, args.sustain))


if __name__ == "__main__":
    main()
